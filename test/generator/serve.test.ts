// Third check of every fixture: the generated server manifest, served by serve(), accepts values
// generated from its own schemas and rejects single mutations with 400 naming the mutated field.
import fc from 'fast-check'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { serve } from 'wirerpc/node'
import type { ServerHttpRoute, ServerManifest } from 'wirerpc/service'
import { buildPath } from '../../src/protocol/path.js'
import { encodeQuery } from '../../src/protocol/query.js'
import { findPollutingKey } from '../../src/service/schema/check.js'
import { fixtureNames, generateFixture, optionsOf } from './harness.js'
import { valid, wrongValue } from './schema-arbitrary.js'
import { connect } from '../e2e/ws/helpers.js'

type Schema = Record<string, any>

async function serveFixture(name: string) {
  const output = await generateFixture(name, optionsOf(name))
  expect(output.messages).toEqual([])
  const manifest = (await import(pathToFileURL(path.join(output.dir, 'generated/server-api.ts')).href)).default as ServerManifest
  const server = await serve(manifest, { port: 0, onError: () => {} })
  afterAll(() => server.close())
  const routes = manifest.filter((entry): entry is ServerHttpRoute => entry.protocol === 'http' && entry.bodyFormat !== 'raw')
  const call = async (route: ServerHttpRoute, params: Record<string, unknown>, data: unknown) => {
    const url = server.url + buildPath(route.path.slice(1), params)
    const headers = { authorization: 'Bearer test', 'content-type': 'application/json' }
    const response = ['GET', 'HEAD', 'DELETE'].includes(route.method)
      ? await fetch(`${url}?${encodeQuery(data as Record<string, unknown>)}`, { method: route.method, headers })
      : await fetch(url, { method: route.method, headers, body: JSON.stringify(data) })
    const text = await response.text()
    return { status: response.status, body: (text.startsWith('{') ? JSON.parse(text) : null) as { path?: string } | null }
  }
  return { routes, call }
}

/** Path params: non-empty and never `.`/`..`, which URLs normalise away. */
function pathParams(route: ServerHttpRoute): fc.Arbitrary<Record<string, unknown>> {
  if (!route.pathSchema) return fc.constant({})
  const segment = (value: unknown) => typeof value !== 'string' || (value !== '' && value !== '.' && value !== '..')
  return valid(route.pathSchema as Schema).filter((params) =>
    Object.values(params as Record<string, unknown>).every((value) => (Array.isArray(value) ? value.length > 0 && value.every(segment) : segment(value))),
  ) as fc.Arbitrary<Record<string, unknown>>
}

const data = (route: ServerHttpRoute) => (route.requestSchema ? valid(route.requestSchema as Schema) : fc.constant({}))

describe.each(fixtureNames)('fixture %s, served', async (name) => {
  const { routes, call } = await serveFixture(name)

  it('loads the generated manifest into serve()', () => {
    expect(routes.every((route) => route.protocol === 'http')).toBe(true)
  })

  it.each(routes.map((route) => [route.name, route] as const))('%s accepts values generated from its schemas', async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(pathParams(route), data(route), async (params, input) => {
        // Free-form (`any`) values may hold a `__proto__` key, which the server rightly refuses (another test).
        fc.pre(findPollutingKey(input) === undefined)
        const { status, body } = await call(route, params, input)
        expect(status, JSON.stringify({ params, input, body })).toBeLessThan(300)
      }),
      { numRuns: 25 },
    )
  })

  const mutable = routes.filter((route) => mutations(route).length > 0)
  it.runIf(mutable.length > 0).each(mutable.map((route) => [route.name, route] as const))('%s rejects a single wrongly typed field with 400 and its path', async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(pathParams(route), data(route), fc.constantFrom(...mutations(route)), async (params, input, [key, property]) => {
        fc.pre(findPollutingKey(input) === undefined) // a `__proto__` key is refused first, at its own path
        const { status, body } = await call(route, params, { ...(input as object), [key]: wrongValue(property) })
        expect(status).toBe(400)
        // A query value that should be an array is read as a one-item array: the error is at its item.
        expect(body?.path).toMatch(new RegExp(`^/${key}(/0)?$`))
      }),
      { numRuns: 20 },
    )
  })
})

/** Top-level data fields that a wrongly typed value can break (query text always fits a string). */
function mutations(route: ServerHttpRoute): [string, Schema][] {
  const schema = route.requestSchema as Schema | undefined
  if (!schema) return []
  const defs = (schema['$defs'] ?? {}) as Record<string, Schema>
  const resolved = schema['$ref'] ? defs[String(schema['$ref']).replace('#/$defs/', '')]! : schema
  const isQuery = ['GET', 'HEAD', 'DELETE'].includes(route.method)
  return Object.entries((resolved['properties'] ?? {}) as Record<string, Schema>).filter(
    ([, property]) => wrongValue(property) !== undefined && !(isQuery && property['type'] === 'string'),
  )
}

describe('served generated manifests: specific cases', async () => {
  const trees = await serveFixture('recursive-generic')
  const dates = await serveFixture('dates')
  const named = await serveFixture('named-types')
  const route = (routes: ServerHttpRoute[], name: string) => routes.find((entry) => entry.name === name)!

  it('rejects an unknown property with 400 and its path', async () => {
    const { status, body } = await trees.call(route(trees.routes, 'saveTree'), {}, { label: 'x', children: [], extra: true })
    expect(status).toBe(400)
    expect(body?.path).toBe('/extra')
  })

  it('rejects a bad value deep inside a recursive type with its full path', async () => {
    const { status, body } = await trees.call(route(trees.routes, 'saveTree'), {}, { label: 'x', children: [{ label: 'y', children: [{ label: 3, children: [] }] }] })
    expect(status).toBe(400)
    expect(body?.path).toBe('/children/0/children/0/label')
  })

  it('coerces a path param', async () => {
    expect((await named.call(route(named.routes, 'getUser'), { id: 42 }, {})).status).toBe(200)
    expect((await named.call(route(named.routes, 'getUser'), { id: 'abc' }, {})).body?.path).toBe('/id')
  })

  it('revives Dates from a body and a query, and sends them back as ISO strings', async () => {
    const at = '2024-01-02T03:04:05.000Z'
    expect((await dates.call(route(dates.routes, 'schedule'), {}, { name: 'x', at })).body).toEqual({ name: 'x', at })
    expect((await dates.call(route(dates.routes, 'between'), {}, { from: at })).body).toEqual({ from: at, to: null, days: 1 })
    expect((await dates.call(route(dates.routes, 'between'), {}, { from: 'yesterday' })).body?.path).toBe('/from')
  })
})

describe('a generated WebSocket manifest, served', async () => {
  const output = await generateFixture('ws-patterns', optionsOf('ws-patterns'))
  const manifest = (await import(pathToFileURL(path.join(output.dir, 'generated/server-api.ts')).href)).default as ServerManifest
  const server = await serve(manifest, { port: 0, onError: () => {} })
  afterAll(() => server.close())
  const client = await connect(`${server.url.replace('http', 'ws')}ws`)
  afterAll(() => client.close())

  it('validates positional params against the emitted tuple, optional and rest ones included', async () => {
    expect((await client.call('optionalAndRest', ['a', 1, true, false]))['result']).toEqual(['a', 1, 2])
    expect((await client.call('optionalAndRest', ['a']))['result']).toEqual(['a', null, 0])
    expect((await client.call('optionalAndRest', ['a', 1, 'x']))['error']).toMatchObject({ code: -32602, data: { path: '/2' } })
    expect((await client.call('optionalAndRest', []))['error']).toMatchObject({ code: -32602 })
  })

  it('passes the context last, typed or not, and revives Dates', async () => {
    expect((await client.call('withContext', [5]))['result']).toEqual({ id: 5, connection: expect.any(String) })
    expect((await client.call('untypedContext', [6]))['result']).toEqual({ id: 6, connection: expect.any(String) })
    expect((await client.call('noParams'))['result']).toBe('ok')
    const since = '2024-05-06T07:08:09.000Z'
    expect((await client.call('fromFactory', [since]))['result']).toEqual({ since, user: 'ada' })
  })
})
