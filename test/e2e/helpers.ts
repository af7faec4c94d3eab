import { serve, type RunningServer, type ServeOptions } from 'wirerpc/node'
import type { ServerManifest } from 'wirerpc/service'
import { afterAll, expect } from 'vitest'

/** Starts `serve()` on 127.0.0.1 with a free port for the current test file, closed after all tests. */
export async function startServer(manifest: ServerManifest, options: ServeOptions = {}): Promise<RunningServer> {
  const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', onError: () => {}, ...options })
  afterAll(() => server.close())
  return server
}

/** Reads a JSON text sequence body into its records. */
export async function readRecords(response: Response): Promise<unknown[]> {
  const text = await response.text()
  return text
    .split('\u001e')
    .filter((record) => record.length > 0)
    .map((record) => {
      expect(record.endsWith('\n')).toBe(true)
      return JSON.parse(record)
    })
}
