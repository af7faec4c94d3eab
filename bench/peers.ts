/**
 * Peers: six WebSocket RPC servers side by side, each in its own process, each driven by its own
 * client library from a separate load process, over loopback: `bare` (the baseline, a bare `ws`
 * server with a small JSON-RPC dispatcher), `bare-coalesced` (the same, one socket write per
 * tick), wirerpc, Socket.IO 4.8, tRPC 11 and rpc-websockets 10. Five workloads: sequential RTT,
 * 100 calls pipelined, one stream, fan-out to 500 connections, and 5,000 idle connections (server
 * RSS per connection). Rounds are interleaved (round 1: every workload, each on every peer in
 * turn; round 2: the same, …), with a pause of SETTLE_MS after each 5,000-connection workload;
 * each peer, workload and round gets a fresh server and a fresh load process. Medians, ratios to
 * `bare`, and the targets for wirerpc (docs/performance.md).
 *
 * Knobs: BENCH_ROUNDS (default 3), BENCH_PEERS (comma-separated subset of the peers),
 * BENCH_WIRERPC_FANOUT=subscription and BENCH_WIRERPC_COMPRESSION=1 (wirerpc variants, docs/performance.md),
 * BENCH_PEERS_WORKLOADS (subset of rtt,pipelined,stream,fanout,connections); flags `--quick`
 * (tiny counts, one round, no results file) and `--prof` (the wirerpc server and its load process
 * under `--cpu-prof`).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { Benchmark } from './lib/benchmark.js'
import { median, round } from './lib/stats.js'
import { runLoad, startServer, type PeerServer } from './peers/processes.js'
import { PEER_NAMES, WORKLOADS, type LoadResult, type PeerName, type Workload } from './peers/protocol.js'
import { machine, markdownReport, textReport, type PeerSummary } from './peers/report.js'
import { FULL, QUICK, fitToFileLimit, loadTimeout } from './peers/settings.js'

export interface PeersOptions {
  /** Tiny counts, one round, results not written to bench/results/latest.md. */
  readonly quick: boolean
  /** Run the wirerpc server with `--cpu-prof` into bench/results/prof/. */
  readonly prof: boolean
}

const LATEST = new URL('./results/latest.md', import.meta.url)
/**
 * Pause (ms) after a peer's 5,000-connection workload: closing that many sockets goes on in the
 * kernel after both processes exit, and an RTT measured meanwhile came out 10–25 % slower.
 */
const SETTLE_MS = 2000
const PROF_DIR = new URL('./results/prof/', import.meta.url)

function subset<T extends string>(env: string, known: readonly T[]): readonly T[] {
  const names = process.env[env]?.split(',').filter(Boolean)
  if (!names) return known
  const unknown = names.filter((name) => !known.includes(name as T))
  if (unknown.length > 0) throw new Error(`${env}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}.`)
  return known.filter((name) => names.includes(name))
}

/** One measurement: the load process's figures, plus the server's memory for idle connections. */
interface Sample extends LoadResult {
  kbPerConnection?: number
}

/**
 * The server's RSS once it stops moving: after start-up a server's RSS keeps falling for seconds
 * (tsx's loader thread and the allocator give memory back), by tens of MiB, more than 5,000
 * connections take. Read after GC every 500 ms until two readings agree within 256 KiB (15 s at most).
 */
async function settledRss(server: PeerServer): Promise<number> {
  let last = (await server.memory()).rss
  for (const deadline = performance.now() + 15_000; performance.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    const rss = (await server.memory()).rss
    if (Math.abs(rss - last) < 256 * 1024) return rss
    last = rss
  }
  return last
}

async function measure(peer: PeerName, workload: Workload, settings: typeof FULL, cpuProfDir: string | undefined): Promise<Sample> {
  const server = await startServer(peer, cpuProfDir ? { cpuProfDir } : {})
  try {
    // Profiled, the load process (the client library) writes its own profile beside the server's.
    const clientProfDir = cpuProfDir ? `${cpuProfDir}client/` : undefined
    if (workload !== 'connections') return await runLoad(peer, workload, server.url, settings, loadTimeout(workload, settings), undefined, clientProfDir)
    let before = Number.NaN
    let kbPerConnection = Number.NaN
    const result = await runLoad(peer, workload, server.url, settings, loadTimeout(workload, settings), {
      warmed: async () => void (before = await settledRss(server)),
      opened: async ({ connections }) => void (kbPerConnection = ((await settledRss(server)) - before) / connections / 1024),
    })
    return { ...result, kbPerConnection }
  } finally {
    await server.stop()
  }
}

function describe(workload: Workload, sample: Sample): string {
  const n = (value: number | undefined, digits = 0) => round(value ?? Number.NaN, digits).toLocaleString('en-US')
  switch (workload) {
    case 'rtt':
      return `p50 ${n(sample.p50Us)} µs, p99 ${n(sample.p99Us)} µs, ${n(sample.rate)} req/s (${sample.count} calls)`
    case 'pipelined':
      return `${n(sample.rate)} req/s`
    case 'stream':
      return `${n(sample.rate)} msg/s (${sample.count} items in ${n(sample.seconds, 2)} s)`
    case 'fanout':
      return `${n(sample.rate)} deliveries/s (${sample.count} in ${n(sample.seconds, 2)} s)`
    case 'connections':
      return `${n(sample.kbPerConnection, 1)} KB per connection, ${sample.connections} connected in ${n(sample.connectMs)} ms`
  }
}

function summarize(peer: PeerName, samples: Map<Workload, Sample[]>): PeerSummary {
  const of = (workload: Workload, pick: (sample: Sample) => number | undefined) => median((samples.get(workload) ?? []).map((s) => pick(s) ?? Number.NaN))
  return {
    peer,
    rttP50Us: of('rtt', (s) => s.p50Us),
    rttP99Us: of('rtt', (s) => s.p99Us),
    rttRate: of('rtt', (s) => s.rate),
    pipelinedRate: of('pipelined', (s) => s.rate),
    streamRate: of('stream', (s) => s.rate),
    fanoutRate: of('fanout', (s) => s.rate),
    kbPerConnection: of('connections', (s) => s.kbPerConnection),
    connectMs: of('connections', (s) => s.connectMs),
  }
}

export function createPeersBenchmark(options: PeersOptions): Benchmark {
  return {
    name: 'peers',
    title: `Peers: bare ws, bare coalesced, wirerpc, Socket.IO, tRPC, rpc-websockets${options.quick ? ' (--quick)' : ''}${options.prof ? ' (--prof)' : ''}`,
    async run(config) {
      const started = performance.now()
      const fitted = fitToFileLimit(options.quick ? QUICK : FULL)
      const settings = fitted.settings
      const notes = fitted.note ? [fitted.note] : []
      if (fitted.note) console.log(`note: ${fitted.note}`)
      const rounds = options.quick ? 1 : config.rounds
      const peers = subset('BENCH_PEERS', PEER_NAMES)
      const workloads = subset('BENCH_PEERS_WORKLOADS', WORKLOADS)
      const samples = new Map(peers.map((peer) => [peer, new Map<Workload, Sample[]>()]))
      const profiles: string[] = []
      // Workload by workload within a round: each peer's RTT follows another peer's RTT, not the
      // teardown of 5,000 sockets, and a pause lets that teardown finish before the next workload.
      for (let r = 1; r <= rounds; r++) {
        for (const workload of workloads) {
          for (const peer of peers) {
            const profDir = options.prof && peer === 'wirerpc' ? fileURLToPath(new URL(`wirerpc-${workload}-r${r}/`, PROF_DIR)) : undefined
            if (profDir) profiles.push(profDir)
            const sample = await measure(peer, workload, settings, profDir)
            const list = samples.get(peer)!
            list.set(workload, [...(list.get(workload) ?? []), sample])
            console.log(`  round ${r}/${rounds}  ${peer.padEnd(14)} ${workload.padEnd(11)} ${describe(workload, sample)}`)
            if (workload === 'connections' && !options.quick) await sleep(SETTLE_MS)
          }
        }
      }
      const summaries = peers.map((peer) => summarize(peer, samples.get(peer)!))
      const table = textReport(summaries)
      const date = new Date().toISOString()
      const seconds = (performance.now() - started) / 1000
      if (options.prof) {
        notes.push('wirerpc ran under --cpu-prof: its figures are slowed by the profiler.')
        // tsx runs its loader in a second thread, which writes its own profile (`….1.002.cpuprofile`).
        console.log(`\nCPU profiles of the wirerpc server, one folder per workload and round (open the *.0.001.cpuprofile file, the main thread, in https://www.speedscope.app or Chrome DevTools > Performance):`)
        for (const dir of profiles) console.log(`  ${dir}`)
      }
      // Only a full, unprofiled run of every peer and workload stands for the committed figures.
      const complete = peers.length === PEER_NAMES.length && workloads.length === WORKLOADS.length
      if (!options.quick && !options.prof && complete) {
        await mkdir(new URL('./', LATEST), { recursive: true })
        await writeFile(LATEST, markdownReport(summaries, { date, rounds, settings, notes, seconds }))
        console.log(`\nwritten: ${fileURLToPath(LATEST)}`)
      } else {
        console.log(`\n(bench/results/latest.md not written: ${options.quick ? '--quick' : options.prof ? '--prof' : 'a subset of peers or workloads'})`)
      }
      return {
        table: `${table}\n(${rounds} round${rounds === 1 ? '' : 's'}, ${Math.round(seconds)} s)`,
        results: { quick: options.quick, prof: options.prof, rounds, settings, notes, machine: machine(), samples: Object.fromEntries([...samples].map(([peer, map]) => [peer, Object.fromEntries(map)])), summaries },
      }
    },
  }
}
