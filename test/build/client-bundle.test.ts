// The client runs in browsers: its bundle must build for the browser platform with nothing
// Node-only in it (the lint rule checks imports; this checks the whole dependency graph).
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

describe('the client bundle', () => {
  it('bundles for browsers with no Node built-in and no server code', async () => {
    const result = await build({
      entryPoints: ['src/client/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.filter((input) => input.startsWith('node:') || /node_modules\/(ws|srvx|typebox)\//.test(input))).toEqual([])
    expect(inputs.filter((input) => input.startsWith('src/service/') || input.startsWith('src/node/'))).toEqual([])
    // The WebSocket transport loads `ws` (Node 20) through a specifier bundlers cannot see.
    expect(result.outputFiles[0]!.text).not.toMatch(/(from|import\(|require\()\s*["']ws["']/)
    const size = result.outputFiles[0]!.contents.byteLength
    // A ceiling that catches an accidental server import, not a size goal.
    expect(size).toBeLessThan(60_000)
  })
})
