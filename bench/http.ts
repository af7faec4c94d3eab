/**
 * HTTP: requests/s and latency of wirerpc `serve()` against a hand-written `node:http` server
 * doing the same work, for a JSON GET (path param + query) and a JSON POST (validated body).
 */
import assert from 'node:assert/strict'
import type { Benchmark } from './lib/benchmark.js'
import type { BenchConfig } from './lib/config.js'
import { runLoad, type LoadRequest, type LoadResult } from './lib/load.js'
import { spawnServer, type ServerProcess } from './lib/spawn-server.js'
import { median, round } from './lib/stats.js'
import { formatTable } from './lib/table.js'

const TARGETS = [
  { name: 'wirerpc', script: new URL('./servers/wirerpc-http.ts', import.meta.url) },
  { name: 'raw', script: new URL('./servers/raw-http.ts', import.meta.url) },
] as const

const JSON_HEADERS = { 'content-type': 'application/json' }

interface Case {
  readonly name: string
  readonly request: (base: string) => LoadRequest
  /** Must be refused with 400 by both servers: proves the validation really runs. */
  readonly invalid: (base: string) => LoadRequest
}

const CASES: readonly Case[] = [
  {
    name: 'GET /users/:id?fields',
    request: (base) => ({ url: `${base}users/42?fields=name,email` }),
    invalid: (base) => ({ url: `${base}users/abc?fields=name` }),
  },
  {
    name: 'POST /users',
    request: (base) => ({
      url: `${base}users`,
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ name: 'Ada', email: 'ada@example.com', age: 36, tags: ['admin', 'math'] }),
    }),
    invalid: (base) => ({ url: `${base}users`, method: 'POST', headers: JSON_HEADERS, body: '{"name":"Ada","email":"a","age":"36","tags":[]}' }),
  },
]

async function fetchOnce(request: LoadRequest): Promise<{ status: number; body: string }> {
  const response = await fetch(request.url, { ...request, signal: AbortSignal.timeout(10_000) })
  return { status: response.status, body: await response.text() }
}

/** Both servers must answer the same bytes, or the comparison means nothing. */
async function checkEquivalent(testCase: Case, servers: readonly ServerProcess[]): Promise<void> {
  const answers = await Promise.all(servers.map((server) => fetchOnce(testCase.request(server.url))))
  for (const answer of answers) assert.equal(answer.status, 200, `${testCase.name}: ${answer.body}`)
  assert.deepEqual(JSON.parse(answers[0]!.body), JSON.parse(answers[1]!.body), `${testCase.name}: the servers disagree`)
  for (const server of servers) {
    const { status } = await fetchOnce(testCase.invalid(server.url))
    assert.equal(status, 400, `${testCase.name}: ${server.name} accepted an invalid request`)
  }
}

const summarize = (rounds: readonly LoadResult[]) => ({
  rps: round(median(rounds.map((r) => r.rps)), 1),
  p50: round(median(rounds.map((r) => r.p50)), 3),
  p99: round(median(rounds.map((r) => r.p99)), 3),
})

const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 3) : Number.NaN)

async function measureCase(testCase: Case, servers: readonly ServerProcess[], config: BenchConfig) {
  const load = { connections: config.connections, pipelining: config.pipelining }
  await checkEquivalent(testCase, servers)
  for (const server of servers) await runLoad(testCase.request(server.url), { ...load, duration: config.warmup })
  const rounds = new Map<string, LoadResult[]>(servers.map((server) => [server.name, []]))
  // Interleaved so that noise from other tenants spreads over both targets alike.
  for (let i = 0; i < config.rounds; i++) {
    for (const server of servers) {
      const result = await runLoad(testCase.request(server.url), { ...load, duration: config.duration })
      if (result.non2xx > 0) throw new Error(`${testCase.name}: ${server.name} answered ${result.non2xx} non-2xx responses.`)
      rounds.get(server.name)!.push(result)
      console.error(`  ${testCase.name} ${server.name} round ${i + 1}: ${Math.round(result.rps)} req/s`)
    }
  }
  const targets = Object.fromEntries([...rounds].map(([name, results]) => [name, { median: summarize(results), rounds: results }]))
  const [a, b] = [targets['wirerpc']!.median, targets['raw']!.median]
  return { name: testCase.name, targets, ratio: { rps: ratio(a.rps, b.rps), p50: ratio(a.p50, b.p50), p99: ratio(a.p99, b.p99) } }
}

export const httpBenchmark: Benchmark = {
  name: 'http',
  title: 'HTTP: wirerpc serve() vs raw node:http',
  async run(config) {
    const servers: ServerProcess[] = []
    try {
      for (const target of TARGETS) servers.push(await spawnServer(target.name, target.script))
      const cases = []
      for (const testCase of CASES) cases.push(await measureCase(testCase, servers, config))
      const rows: (string | number)[][] = [['case', 'target', 'req/s', 'p50 ms', 'p99 ms', 'req/s per round']]
      for (const c of cases) {
        for (const [name, { median: m, rounds }] of Object.entries(c.targets)) {
          rows.push([c.name, name, Math.round(m.rps), m.p50, m.p99, rounds.map((r) => Math.round(r.rps)).join(' ')])
        }
        rows.push([c.name, 'wirerpc/raw', c.ratio.rps, c.ratio.p50, c.ratio.p99, ''])
      }
      return { table: formatTable(rows), results: { cases } }
    } finally {
      await Promise.all(servers.map((server) => server.stop()))
    }
  },
}
