// The published entry points: each subpath in package.json resolves from dist/ (built by
// `npm test` before vitest runs) and exposes its public API, in a plain Node process.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const expected: Record<string, string[]> = {
  'wirerpc/service': ['route', 'paginate', 'compileRoutes', 'HttpError', 'NotFoundError', 'JSONResponse', 'runMiddleware'],
  'wirerpc/node': ['serve'],
  'wirerpc/client': ['defineClient', 'HTTPError', 'TimeoutError', 'NetworkError'],
  'wirerpc/config': ['defineConfig'],
  'wirerpc/protocol': ['encodeQuery', 'decodeQuery', 'buildPath', 'JSON_SEQ_TYPE'],
  'wirerpc/generator': ['generate', 'createGenerator', 'formatDiagnostic'],
}

describe('package exports', () => {
  it.each(Object.entries(expected))('%s loads from dist with its public API', (specifier, names) => {
    expect(existsSync('dist/service/index.js'), 'run `npm run build` first').toBe(true)
    const script = `import(${JSON.stringify(specifier)}).then((m) => console.log(JSON.stringify(Object.keys(m))))`
    const keys = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[]
    expect(keys).toEqual(expect.arrayContaining(names))
  })

  it('ships type declarations next to every entry point', () => {
    for (const entry of ['service', 'node', 'client', 'config', 'protocol', 'generator']) {
      expect(existsSync(`dist/${entry}/index.d.ts`), entry).toBe(true)
    }
  })
})

describe('the wirerpc command', () => {
  it('is built with a node shebang and answers --version', () => {
    const bin = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }).bin['wirerpc']!
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    const version = execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })
    expect(version.trim()).toMatch(/\d+\.\d+\.\d+/)
  })
})
