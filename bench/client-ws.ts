/**
 * WebSocket clients, end to end: the full client → server → client path of three stacks, each
 * server in its own process and each client in this one, over one loopback connection per round:
 * wirerpc (`serve()` + `defineClient`), tRPC 11 (`applyWSSHandler` + `wsLink`) and Socket.IO 4.8
 * (WebSocket transport only). Three workloads: sequential echo calls (calls/s, p50, p99), echo
 * calls with 100 in flight (calls/s), and one stream of N items (items/s, count and order
 * checked). Knobs: BENCH_DURATION, BENCH_ROUNDS, BENCH_WARMUP, BENCH_WS_CLIENT_ITEMS (N, default
 * 50,000) and BENCH_WS_CLIENT_STACKS (a comma-separated subset of `wirerpc,trpc,socket.io`).
 */
import assert from 'node:assert/strict'
import { createHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Benchmark } from './lib/benchmark.js'
import type { Connect, StackClient } from './lib/client-ws-client.js'
import { checkEcho } from './lib/client-ws-client.js'
import { ECHO_VALUE, INVALID_ECHO, type Echo } from './lib/client-ws-work.js'
import type { BenchConfig } from './lib/config.js'
import { positiveInteger } from './lib/config.js'
import { processCpuSeconds } from './lib/process-cpu.js'
import { spawnServer, type ServerProcess } from './lib/spawn-server.js'
import { median, round } from './lib/stats.js'
import { formatTable } from './lib/table.js'

interface Stack {
  readonly name: string
  readonly script: URL
  /** Imported only when the benchmark runs, so that the other benchmarks never load these clients. */
  readonly client: () => Promise<{ connect: Connect }>
}

// wirerpc first: the ratios are to it.
const STACKS: readonly Stack[] = [
  { name: 'wirerpc', script: new URL('./servers/wirerpc-client-ws.ts', import.meta.url), client: () => import('./lib/client-ws-wirerpc.js') },
  { name: 'trpc', script: new URL('./servers/trpc-ws.ts', import.meta.url), client: () => import('./lib/client-ws-trpc.js') },
  { name: 'socket.io', script: new URL('./servers/socketio-ws.ts', import.meta.url), client: () => import('./lib/client-ws-socketio.js') },
]

/** Calls kept outstanding in the pipelined case: wirerpc's default `maxInFlight`. */
const IN_FLIGHT = 100
/** Unmeasured calls at the start of each sequential round, on its new connection. */
const RTT_WARMUP_CALLS = 500
/** Most measured calls of a sequential round. */
const RTT_MAX_CALLS = 20_000
/** Seconds of unmeasured calls at the start of each pipelined round (at most BENCH_WARMUP). */
const PIPELINED_WARMUP = 1
/** Seconds one stream may take, from the request to its end; beyond, the run fails. */
const STREAM_TIMEOUT = 60

function selectedStacks(): readonly Stack[] {
  const names = process.env['BENCH_WS_CLIENT_STACKS']?.split(',').filter(Boolean)
  if (!names) return STACKS
  const unknown = names.filter((name) => !STACKS.some((stack) => stack.name === name))
  if (unknown.length > 0) throw new Error(`BENCH_WS_CLIENT_STACKS: unknown ${unknown.join(', ')}; known: ${STACKS.map((s) => s.name).join(', ')}.`)
  return STACKS.filter((stack) => names.includes(stack.name))
}

/** Rejects with `message` when `promise` has not settled within `seconds`. */
async function within<T>(promise: Promise<T>, seconds: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), seconds * 1000)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Marks the measured window of a run, so that CPU time is taken over that window only. */
interface Meter {
  start(): void
  stop(): void
}

interface LoadResult {
  /** calls/s or items/s */
  readonly rate: number
  /** Latency percentiles in milliseconds (sequential case only). */
  readonly p50?: number
  readonly p99?: number
  /** Calls answered or items received in the measured window. */
  readonly count: number
  readonly seconds: number
}

interface RoundResult extends LoadResult {
  /** Server CPU time (user + system) per call or item over the measured window, in µs (Linux only). */
  readonly serverCpuUs?: number
  /** This process's CPU time (the client, both threads) per call or item over the measured window, in µs. */
  readonly clientCpuUs?: number
}

interface Case {
  readonly name: string
  readonly unit: 'calls/s' | 'items/s'
  /** One run on a connection of its own; `seconds` is BENCH_DURATION, or BENCH_WARMUP for the warm-up run. */
  run(client: StackClient, seconds: number, config: BenchConfig, meter: Meter): Promise<LoadResult>
  /** The time limit of one run, in seconds. */
  limit(seconds: number, config: BenchConfig): number
}

const echoChecked = async (client: StackClient): Promise<Echo> => checkEcho(await client.echo(ECHO_VALUE), ECHO_VALUE)

function cases(items: number): readonly Case[] {
  return [
    {
      name: 'RTT sequential',
      unit: 'calls/s',
      async run(client, seconds, _config, meter) {
        for (let i = 0; i < RTT_WARMUP_CALLS; i++) await echoChecked(client)
        const latency = createHistogram()
        let calls = 0
        meter.start()
        const started = performance.now()
        const deadline = started + seconds * 1000
        while (calls < RTT_MAX_CALLS && performance.now() < deadline) {
          const sent = process.hrtime.bigint()
          await echoChecked(client)
          latency.record(Math.max(1, Number(process.hrtime.bigint() - sent)))
          calls++
        }
        const elapsed = (performance.now() - started) / 1000
        meter.stop()
        return { rate: calls / elapsed, p50: latency.percentile(50) / 1e6, p99: latency.percentile(99) / 1e6, count: calls, seconds: elapsed }
      },
      limit: (seconds) => seconds + 15,
    },
    {
      name: `${IN_FLIGHT} in flight`,
      unit: 'calls/s',
      async run(client, seconds, config, meter) {
        // An object, so that TypeScript does not narrow the phase across the awaits.
        const state: { phase: 'warmup' | 'measure' | 'stop' } = { phase: 'warmup' }
        let calls = 0
        const loop = async () => {
          while (state.phase !== 'stop') {
            try {
              await echoChecked(client)
            } catch (error) {
              state.phase = 'stop'
              throw error
            }
            if (state.phase === 'measure') calls++
          }
        }
        // Closed loop: each answer sends the next call, so exactly IN_FLIGHT are outstanding.
        const loops = Promise.all(Array.from({ length: IN_FLIGHT }, loop))
        const window = (async () => {
          await sleep(Math.min(PIPELINED_WARMUP, config.warmup) * 1000)
          if (state.phase === 'stop') return 0
          state.phase = 'measure'
          meter.start()
          const started = performance.now()
          await sleep(seconds * 1000)
          const elapsed = (performance.now() - started) / 1000
          meter.stop()
          state.phase = 'stop'
          return elapsed
        })()
        const [, elapsed] = await Promise.all([loops, window])
        return { rate: calls / elapsed, count: calls, seconds: elapsed }
      },
      limit: (seconds, config) => Math.min(PIPELINED_WARMUP, config.warmup) + seconds + 15,
    },
    {
      name: `stream ${items.toLocaleString('en-US')} items`,
      unit: 'items/s',
      async run(client, _seconds, _config, meter) {
        meter.start()
        const started = performance.now()
        await client.stream(items)
        const elapsed = (performance.now() - started) / 1000
        meter.stop()
        return { rate: items / elapsed, count: items, seconds: elapsed }
      },
      limit: () => STREAM_TIMEOUT,
    },
  ]
}

interface Target {
  readonly stack: Stack
  readonly server: ServerProcess
  readonly connect: Connect
}

/** One run on a new connection, within the case's time limit; the connection is closed whatever happens. */
async function runOnce(testCase: Case, target: Target, seconds: number, config: BenchConfig, meter: Meter): Promise<LoadResult> {
  const what = `${testCase.name}, ${target.stack.name}`
  const limit = testCase.limit(seconds, config)
  const client = await within(target.connect(target.server.url), 10, `${what}: no connection within 10 s.`)
  try {
    return await within(testCase.run(client, seconds, config, meter), limit, `${what}: the run did not end within ${limit} s.`)
  } finally {
    await within(client.close(), 5, `${what}: the connection did not close within 5 s.`)
  }
}

const noMeter: Meter = { start() {}, stop() {} }

/** One measured round, with the server's and this process's CPU time over its measured window. */
async function measureRound(testCase: Case, target: Target, config: BenchConfig): Promise<RoundResult> {
  let server: number | undefined
  let client: NodeJS.CpuUsage | undefined
  let serverCpu: number | undefined
  let clientCpu: number | undefined
  const meter: Meter = {
    start() {
      server = processCpuSeconds(target.server.pid)
      client = process.cpuUsage()
    },
    stop() {
      const after = processCpuSeconds(target.server.pid)
      serverCpu = server !== undefined && after !== undefined ? after - server : undefined
      const used = process.cpuUsage(client)
      clientCpu = (used.user + used.system) / 1e6
    },
  }
  const raw = await runOnce(testCase, target, config.duration, config, meter)
  const perOp = (cpu: number | undefined) => (cpu !== undefined && raw.count > 0 ? { value: round((cpu * 1e6) / raw.count, 2) } : undefined)
  return {
    rate: round(raw.rate, 1),
    ...(raw.p50 !== undefined && raw.p99 !== undefined ? { p50: round(raw.p50, 4), p99: round(raw.p99, 4) } : {}),
    count: raw.count,
    seconds: round(raw.seconds, 3),
    ...(perOp(serverCpu) ? { serverCpuUs: perOp(serverCpu)!.value } : {}),
    ...(perOp(clientCpu) ? { clientCpuUs: perOp(clientCpu)!.value } : {}),
  }
}

/** The warm-up: one run of BENCH_WARMUP seconds, or for a stream, streams until BENCH_WARMUP seconds have passed (at least one). */
async function warmUp(testCase: Case, target: Target, config: BenchConfig): Promise<void> {
  if (testCase.unit === 'calls/s') return void (await runOnce(testCase, target, config.warmup, config, noMeter))
  const end = performance.now() + config.warmup * 1000
  do await runOnce(testCase, target, config.warmup, config, noMeter)
  while (performance.now() < end)
}

const medianOf = (rounds: readonly RoundResult[], key: 'rate' | 'p50' | 'p99' | 'serverCpuUs' | 'clientCpuUs', digits: number) => {
  const values = rounds.map((r) => r[key])
  return values.length > 0 && values.every((v) => v !== undefined) ? round(median(values as number[]), digits) : undefined
}

const summarize = (rounds: readonly RoundResult[]) => ({
  rate: medianOf(rounds, 'rate', 1)!,
  p50: medianOf(rounds, 'p50', 3),
  p99: medianOf(rounds, 'p99', 3),
  serverCpuUs: medianOf(rounds, 'serverCpuUs', 2),
  clientCpuUs: medianOf(rounds, 'clientCpuUs', 2),
})

type Summary = ReturnType<typeof summarize>

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? round(a / b, 3) : undefined)

async function measureCase(testCase: Case, targets: readonly Target[], config: BenchConfig) {
  for (const target of targets) await warmUp(testCase, target, config)
  const rounds = new Map<string, RoundResult[]>(targets.map((target) => [target.stack.name, []]))
  // Interleaved so that noise from other tenants spreads over all stacks alike.
  for (let i = 0; i < config.rounds; i++) {
    for (const target of targets) {
      const result = await measureRound(testCase, target, config)
      rounds.get(target.stack.name)!.push(result)
      const latency = result.p50 !== undefined ? `, p50 ${result.p50} ms, p99 ${result.p99} ms` : ''
      console.error(`  ${testCase.name} ${target.stack.name} round ${i + 1}: ${Math.round(result.rate)} ${testCase.unit}${latency}`)
    }
  }
  const stacks: Record<string, { median: Summary; rounds: RoundResult[] }> = Object.fromEntries(
    [...rounds].map(([name, results]) => [name, { median: summarize(results), rounds: results }]),
  )
  // Each stack's figure divided by wirerpc's: above 1 is a higher rate (or a longer latency) than wirerpc's.
  const base = stacks['wirerpc']?.median
  const ratios = Object.fromEntries(
    Object.entries(stacks)
      .filter(([name]) => base && name !== 'wirerpc')
      .map(([name, { median: m }]) => [name, { rate: ratio(m.rate, base!.rate), p50: ratio(m.p50, base!.p50), p99: ratio(m.p99, base!.p99) }]),
  )
  return { name: testCase.name, unit: testCase.unit, stacks, ratioToWirerpc: ratios }
}

/** Every stack must echo the value, refuse an invalid one and stream a few items in order, or the comparison means nothing. */
async function checkEquivalent(targets: readonly Target[]): Promise<void> {
  for (const { stack, server, connect } of targets) {
    const client = await within(connect(server.url), 10, `${stack.name}: no connection within 10 s.`)
    try {
      await within(
        (async () => {
          assert.deepEqual(await client.echo(ECHO_VALUE), ECHO_VALUE, `${stack.name}: echo`)
          await assert.rejects(client.echo(INVALID_ECHO as Echo), `${stack.name} accepted { a: '1', b: 'hello' }`)
          await client.stream(3)
          await client.stream(0)
          assert.deepEqual(await client.echo(ECHO_VALUE), ECHO_VALUE, `${stack.name}: echo after the streams`)
        })(),
        10,
        `${stack.name}: the checks did not end within 10 s.`,
      )
    } finally {
      await within(client.close(), 5, `${stack.name}: the connection did not close within 5 s.`)
    }
  }
}

const cell = (value: number | undefined) => value ?? ''

function formatResults(results: Awaited<ReturnType<typeof measureCase>>[], names: readonly string[]): string {
  const others = names.filter((name) => name !== 'wirerpc')
  const withRatios = names.includes('wirerpc')
  const header = ['workload', 'unit', ...names.flatMap((name) => (withRatios && name !== 'wirerpc' ? [name, `${name}/wirerpc`] : [name]))]
  const rows: (string | number)[][] = [header]
  const row = (label: string, unit: string, key: 'rate' | 'p50' | 'p99', c: (typeof results)[number]) => {
    const value = (name: string) => {
      const v = c.stacks[name]!.median[key]
      return v === undefined ? '' : key === 'rate' ? Math.round(v) : v
    }
    rows.push([
      label,
      unit,
      ...names.flatMap((name) => (withRatios && others.includes(name) ? [value(name), cell(c.ratioToWirerpc[name]?.[key])] : [value(name)])),
    ])
  }
  for (const c of results) {
    row(c.name, c.unit, 'rate', c)
    if (c.stacks[names[0]!]!.median.p50 !== undefined) {
      row(`${c.name} p50`, 'ms', 'p50', c)
      row(`${c.name} p99`, 'ms', 'p99', c)
    }
  }
  return formatTable(rows)
}

export const clientWsBenchmark: Benchmark = {
  name: 'ws-client',
  title: 'WebSocket clients, end to end: wirerpc vs tRPC vs Socket.IO',
  async run(config) {
    const items = positiveInteger('BENCH_WS_CLIENT_ITEMS', 50_000)
    const stacks = selectedStacks()
    const targets: Target[] = []
    try {
      for (const stack of stacks) {
        const { connect } = await stack.client()
        targets.push({ stack, connect, server: await spawnServer(stack.name, stack.script) })
      }
      await checkEquivalent(targets)
      const results = []
      for (const testCase of cases(items)) results.push(await measureCase(testCase, targets, config))
      const names = targets.map((target) => target.stack.name)
      return {
        table: formatResults(results, names),
        results: { connections: 1, inFlight: IN_FLIGHT, rttWarmupCalls: RTT_WARMUP_CALLS, rttMaxCalls: RTT_MAX_CALLS, streamItems: items, cases: results },
      }
    } finally {
      await Promise.all(targets.map((target) => target.server.stop()))
    }
  },
}
