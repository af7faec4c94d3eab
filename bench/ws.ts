/**
 * WebSocket: calls/s, latency and subscription items/s of wirerpc `serve()` against a minimal raw
 * `ws` server doing the same work (`bench/servers/wirerpc-ws.ts`, `bench/servers/raw-ws.ts`), over
 * one connection: requests one at a time, requests with 100 in flight, and one subscription's
 * items. Each server runs in its own process; the load comes from this one (`bench/lib/ws-load.ts`).
 * On Linux, each round also records the server's CPU time per call or item. Knobs: BENCH_DURATION,
 * BENCH_ROUNDS, BENCH_WARMUP (BENCH_CONNECTIONS and BENCH_PIPELINING do not apply).
 */
import assert from 'node:assert/strict'
import type { Benchmark } from './lib/benchmark.js'
import type { BenchConfig } from './lib/config.js'
import { processCpuSeconds } from './lib/process-cpu.js'
import { spawnServer, type ServerProcess } from './lib/spawn-server.js'
import { median, round } from './lib/stats.js'
import { formatTable } from './lib/table.js'
import { callOnce, runCalls, runSubscription, subscribeOnce } from './lib/ws-load.js'
import { METHOD } from './lib/ws-work.js'

const TARGETS = [
  { name: 'wirerpc', script: new URL('./servers/wirerpc-ws.ts', import.meta.url) },
  { name: 'raw', script: new URL('./servers/raw-ws.ts', import.meta.url) },
] as const

/** Requests kept outstanding in the concurrent case: wirerpc's default `maxInFlight`. */
const IN_FLIGHT = 100

interface LoadResult {
  /** calls/s or items/s */
  readonly rate: number
  readonly p50?: number
  readonly p99?: number
  /** Calls answered or items received in the measured window. */
  readonly count: number
}

interface RoundResult extends LoadResult {
  /** Server CPU time (user + system) per call or item, in µs, over the whole round (Linux only). */
  readonly serverCpuUs?: number
}

interface Case {
  readonly name: string
  readonly unit: 'calls/s' | 'items/s'
  run(url: string, seconds: number): Promise<LoadResult>
}

function checkTick(value: unknown): void {
  assert.deepEqual(value, { topic: 'bench', seq: 0, at: 1_732_550_000_000 }, 'the first subscription item')
}

const CASES: readonly Case[] = [
  {
    name: 'request, sequential',
    unit: 'calls/s',
    run: async (url, duration) => {
      const result = await runCalls(url, { method: METHOD.getUser, params: ['42'], inFlight: 1, duration })
      return { ...result, count: result.calls }
    },
  },
  {
    name: `request, ${IN_FLIGHT} in flight`,
    unit: 'calls/s',
    run: async (url, duration) => {
      const result = await runCalls(url, { method: METHOD.getUser, params: ['42'], inFlight: IN_FLIGHT, duration })
      return { ...result, count: result.calls }
    },
  },
  {
    name: 'subscription',
    unit: 'items/s',
    run: async (url, duration) => {
      const result = await runSubscription(url, { method: METHOD.ticks, params: ['bench'], duration, check: checkTick })
      return { ...result, count: result.items }
    },
  },
]

const wsUrl = (server: ServerProcess) => `${server.url.replace(/^http/, 'ws')}ws`

/** Both servers must answer the same messages, and refuse the same bad params, or the comparison means nothing. */
async function checkEquivalent(servers: readonly ServerProcess[]): Promise<void> {
  const answers = await Promise.all(servers.map((server) => callOnce(wsUrl(server), METHOD.getUser, ['42'])))
  for (const answer of answers) assert.deepEqual(answer, { jsonrpc: '2.0', id: 1, result: { id: '42', name: 'x' } }, `${METHOD.getUser}: ${JSON.stringify(answer)}`)
  for (const server of servers) {
    const refused = await callOnce(wsUrl(server), METHOD.getUser, [42])
    assert.equal((refused['error'] as { code?: number } | undefined)?.code, -32602, `${server.name} accepted a number for a string param: ${JSON.stringify(refused)}`)
  }
  const streams = await Promise.all(servers.map((server) => subscribeOnce(wsUrl(server), METHOD.ticks, ['bench'], 3)))
  for (const stream of streams) {
    assert.deepEqual(stream.items, [0, 1, 2].map((seq) => ({ id: 1, value: { topic: 'bench', seq, at: 1_732_550_000_000 + seq } })), 'subscription items')
    assert.deepEqual(stream.terminal, { jsonrpc: '2.0', id: 1, error: { code: -32800, message: 'Request cancelled.' } }, 'terminal response of a cancelled subscription')
  }
}

const summarize = (rounds: readonly RoundResult[]) => ({
  rate: round(median(rounds.map((r) => r.rate)), 1),
  ...(rounds[0]?.p50 !== undefined ? { p50: round(median(rounds.map((r) => r.p50!)), 3), p99: round(median(rounds.map((r) => r.p99!)), 3) } : {}),
  ...(rounds.every((r) => r.serverCpuUs !== undefined) ? { serverCpuUs: round(median(rounds.map((r) => r.serverCpuUs!)), 2) } : {}),
})

/** One measured round, with the server's CPU time over it. */
async function measureRound(testCase: Case, server: ServerProcess, seconds: number): Promise<RoundResult> {
  const cpuBefore = processCpuSeconds(server.pid)
  const raw = await testCase.run(wsUrl(server), seconds)
  const cpuAfter = processCpuSeconds(server.pid)
  const result: RoundResult = {
    ...raw,
    rate: round(raw.rate, 1),
    ...(raw.p50 !== undefined && raw.p99 !== undefined ? { p50: round(raw.p50, 4), p99: round(raw.p99, 4) } : {}),
  }
  if (cpuBefore === undefined || cpuAfter === undefined || raw.count === 0) return result
  return { ...result, serverCpuUs: round(((cpuAfter - cpuBefore) * 1e6) / raw.count, 2) }
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? round(a / b, 3) : undefined)

async function measureCase(testCase: Case, servers: readonly ServerProcess[], config: BenchConfig) {
  for (const server of servers) await testCase.run(wsUrl(server), config.warmup)
  const rounds = new Map<string, RoundResult[]>(servers.map((server) => [server.name, []]))
  // Interleaved so that noise from other tenants spreads over both targets alike.
  for (let i = 0; i < config.rounds; i++) {
    for (const server of servers) {
      const result = await measureRound(testCase, server, config.duration)
      rounds.get(server.name)!.push(result)
      console.error(`  ${testCase.name} ${server.name} round ${i + 1}: ${Math.round(result.rate)} ${testCase.unit}`)
    }
  }
  const targets = Object.fromEntries([...rounds].map(([name, results]) => [name, { median: summarize(results), rounds: results }]))
  const [a, b] = [targets['wirerpc']!.median, targets['raw']!.median]
  const ratios = { rate: ratio(a.rate, b.rate), p50: ratio(a.p50, b.p50), p99: ratio(a.p99, b.p99), serverCpuUs: ratio(a.serverCpuUs, b.serverCpuUs) }
  return { name: testCase.name, unit: testCase.unit, targets, ratio: ratios }
}

const cell = (value: number | undefined) => value ?? ''

export const wsBenchmark: Benchmark = {
  name: 'ws',
  title: 'WebSocket: wirerpc serve() vs raw ws',
  async run(config) {
    const servers: ServerProcess[] = []
    try {
      for (const target of TARGETS) servers.push(await spawnServer(target.name, target.script))
      await checkEquivalent(servers)
      const cases = []
      for (const testCase of CASES) cases.push(await measureCase(testCase, servers, config))
      const rows: (string | number)[][] = [['case', 'target', 'rate', 'unit', 'p50 ms', 'p99 ms', 'server CPU µs/op', 'rate per round']]
      for (const c of cases) {
        for (const [name, { median: m, rounds }] of Object.entries(c.targets)) {
          rows.push([c.name, name, Math.round(m.rate), c.unit, cell(m.p50), cell(m.p99), cell(m.serverCpuUs), rounds.map((r) => Math.round(r.rate)).join(' ')])
        }
        rows.push([c.name, 'wirerpc/raw', cell(c.ratio.rate), '', cell(c.ratio.p50), cell(c.ratio.p99), cell(c.ratio.serverCpuUs), ''])
      }
      return { table: formatTable(rows), results: { connections: 1, inFlight: IN_FLIGHT, cases } }
    } finally {
      await Promise.all(servers.map((server) => server.stop()))
    }
  },
}
