// Third check of the fixtures: the generated server manifest, served by serve(), accepts values
// generated from its own schemas and rejects single mutations with 400 naming the mutated field.
import fc from 'fast-check'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { serve } from 'wirerpc/node'
import type { ServerHttpRoute, ServerManifest } from 'wirerpc/service'
import { encodeQuery } from '../../src/protocol/query.js'
import { generateFixture } from './harness.js'
import { valid, wrongValue } from './schema-arbitrary.js'

async function serveFixture(name: string) {
  const output = await generateFixture(name)
  expect(output.messages).toEqual([])
  const manifest = (await import(pathToFileURL(path.join(output.dir, 'generated/server-api.ts')).href)).default as ServerManifest
  const server = await serve(manifest, { port: 0, onError: () => {} })
  afterAll(() => server.close())
  const routes = new Map(manifest.filter((entry): entry is ServerHttpRoute => entry.protocol === 'http').map((entry) => [entry.name, entry]))
  const call = async (name: string, data: unknown, params = '') => {
    const route = routes.get(name)!
    const base = server.url + route.path.slice(1).replace(/:[\w]+/, params)
    const response =
      route.method === 'GET'
        ? await fetch(`${base}?${encodeQuery(data as Record<string, unknown>)}`)
        : await fetch(base, { method: route.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) })
    return { status: response.status, body: (await response.json().catch(() => null)) as { path?: string } | null }
  }
  return { routes, call }
}

describe('generated server manifests, served', async () => {
  const { routes, call } = await serveFixture('types')

  it.each(['saveShape', 'geometry', 'saveTree', 'search'])('%s accepts values generated from its request schema', async (name) => {
    const schema = routes.get(name)!.requestSchema as Record<string, any>
    await fc.assert(
      fc.asyncProperty(valid(schema), async (data) => {
        const { status, body } = await call(name, data)
        expect(status, JSON.stringify({ data, body })).toBe(200)
      }),
      { numRuns: 60 },
    )
  })

  it.each(['saveShape', 'geometry', 'saveTree', 'search'])('%s rejects a single wrongly typed field with 400 and its path', async (name) => {
    const schema = routes.get(name)!.requestSchema as Record<string, any>
    const defs = (schema['$defs'] ?? {}) as Record<string, Record<string, any>>
    const resolved = schema['$ref'] ? defs[String(schema['$ref']).replace('#/$defs/', '')]! : schema
    const mutable = Object.entries(resolved['properties'] as Record<string, Record<string, any>>).filter(([, property]) => {
      const wrong = wrongValue(property)
      // Query values are text: a string field accepts any text, so only other types can be broken there.
      return wrong !== undefined && !(routes.get(name)!.method === 'GET' && property['type'] === 'string')
    })
    expect(mutable.length).toBeGreaterThan(0)
    await fc.assert(
      fc.asyncProperty(valid(schema), fc.constantFrom(...mutable), async (data, [key, property]) => {
        const { status, body } = await call(name, { ...(data as object), [key]: wrongValue(property) })
        expect(status).toBe(400)
        // A query value that should be an array is read as a one-item array: the error is at its item.
        expect(body?.path).toMatch(new RegExp(`^/${key}(/0)?$`))
      }),
      { numRuns: 40 },
    )
  })

  it('rejects an unknown property with 400 and its path', async () => {
    const { status, body } = await call('saveTree', { label: 'x', children: [], extra: true })
    expect(status).toBe(400)
    expect(body?.path).toBe('/extra')
  })

  it('coerces a path param and revives a Date in a body', async () => {
    expect((await call('getUser', {}, '42')).status).toBe(200)
    const { status, body } = await call('saveShape', { shape: { kind: 'square', side: 2 }, priority: 1, at: '2024-01-02T03:04:05.000Z' })
    expect(status).toBe(200)
    expect(body).toEqual({ area: 4, at: '2024-01-02T03:04:05.000Z' })
  })
})
