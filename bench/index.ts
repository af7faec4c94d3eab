/**
 * `npm run bench`: runs every benchmark in BENCHMARKS, prints a table per benchmark and writes
 * `bench/results/<name>.json`. Knobs: BENCH_DURATION, BENCH_ROUNDS, BENCH_WARMUP,
 * BENCH_CONNECTIONS, BENCH_PIPELINING, BENCH_ONLY; the generator benchmark adds BENCH_GEN_RUNS,
 * BENCH_GEN_EDITS and BENCH_GEN_CPU_PROF, ws-client adds BENCH_WS_CLIENT_ITEMS and
 * BENCH_WS_CLIENT_STACKS, fanout adds BENCH_FANOUT_SUBSCRIBERS and BENCH_FANOUT_MESSAGES
 * (docs/benchmarks.md); peers adds BENCH_PEERS and BENCH_PEERS_WORKLOADS (docs/performance.md).
 *
 * Flags (`npm run bench -- --quick`): `--quick` runs only the peers benchmark, with tiny counts and
 * one round, to catch crashes; it writes no results file. `--prof` runs the peers benchmark's
 * wirerpc server under `node --cpu-prof` (profiles in bench/results/prof/); its figures are not saved.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { clientWsBenchmark } from './client-ws.js'
import { fanoutBenchmark } from './fanout.js'
import { generatorBenchmark } from './generator.js'
import { httpBenchmark } from './http.js'
import type { Benchmark } from './lib/benchmark.js'
import { readConfig } from './lib/config.js'
import { killAllServers } from './lib/spawn-server.js'
import { createPeersBenchmark } from './peers.js'
import { wsBenchmark } from './ws.js'

const flags = process.argv.slice(2)
const unknownFlags = flags.filter((flag) => flag !== '--quick' && flag !== '--prof')
if (unknownFlags.length > 0) throw new Error(`Unknown argument ${unknownFlags.join(' ')}; known: --quick, --prof.`)
const quick = flags.includes('--quick')
const prof = flags.includes('--prof')

const peersBenchmark = createPeersBenchmark({ quick, prof })
const BENCHMARKS: readonly Benchmark[] = [httpBenchmark, wsBenchmark, clientWsBenchmark, fanoutBenchmark, generatorBenchmark, peersBenchmark]

// Whatever happens (error, Ctrl-C), no server process survives the run.
process.on('exit', killAllServers)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))

const config = readConfig()
// --quick is a crash check of the peers benchmark only (the others have their own short settings).
const only = quick ? ['peers'] : process.env['BENCH_ONLY']?.split(',').filter(Boolean)
const selected = BENCHMARKS.filter((benchmark) => !only || only.includes(benchmark.name))
if (selected.length === 0) throw new Error(`BENCH_ONLY=${only?.join(',')} matches no benchmark; known: ${BENCHMARKS.map((b) => b.name).join(', ')}.`)
const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  node: process.version,
}
const resultsDir = new URL('./results/', import.meta.url)

console.log(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}`)
console.log(`config: ${JSON.stringify(config)}\n`)
try {
  for (const benchmark of selected) {
    console.log(`== ${benchmark.title}`)
    const report = await benchmark.run(config)
    console.log(`${report.table}\n`)
    // Quick, profiled or partial (BENCH_PEERS, BENCH_PEERS_WORKLOADS) figures must not replace a real run's.
    const partial = Boolean(process.env['BENCH_PEERS'] || process.env['BENCH_PEERS_WORKLOADS'] || process.env['BENCH_WIRERPC_FANOUT'] || process.env['BENCH_WIRERPC_COMPRESSION'])
    if (benchmark === peersBenchmark && (quick || prof || partial)) continue
    await mkdir(resultsDir, { recursive: true })
    const file = new URL(`${benchmark.name}.json`, resultsDir)
    const json = { benchmark: benchmark.name, date: new Date().toISOString(), machine, config, ...(report.results as object) }
    await writeFile(file, JSON.stringify(json, null, 2) + '\n')
  }
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  killAllServers()
}
