/**
 * The peers benchmark's report: medians per peer with their ratios to `bare`, the issue's targets
 * for wirerpc, the machine and the package versions, as a plain-text table (stdout) and as
 * Markdown (`bench/results/latest.md`).
 */
import { execSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { formatTable } from '../lib/table.js'
import type { PeerName, Settings } from './protocol.js'

/** Medians over the rounds of one peer (NaN when a workload did not run). */
export interface PeerSummary {
  readonly peer: PeerName
  readonly rttP50Us: number
  readonly rttP99Us: number
  readonly rttRate: number
  readonly pipelinedRate: number
  readonly streamRate: number
  readonly fanoutRate: number
  readonly kbPerConnection: number
  readonly connectMs: number
}

type Metric = Exclude<keyof PeerSummary, 'peer'>

/** The issue's targets for wirerpc, as ratios to `bare`. */
export const TARGETS: readonly { metric: Metric; label: string; op: '<=' | '>='; ratio: number }[] = [
  { metric: 'rttP50Us', label: 'RTT p50', op: '<=', ratio: 1.1 },
  { metric: 'rttP99Us', label: 'RTT p99', op: '<=', ratio: 1.25 },
  { metric: 'pipelinedRate', label: 'pipelined req/s', op: '>=', ratio: 1.4 },
  { metric: 'streamRate', label: 'stream msg/s', op: '>=', ratio: 3.0 },
  { metric: 'fanoutRate', label: 'fan-out deliveries/s', op: '>=', ratio: 5.0 },
  { metric: 'kbPerConnection', label: 'KB per idle connection', op: '<=', ratio: 1.3 },
]

const COLUMNS: readonly { metric: Metric; label: string; digits: number }[] = [
  { metric: 'rttP50Us', label: 'RTT p50 µs', digits: 0 },
  { metric: 'rttP99Us', label: 'RTT p99 µs', digits: 0 },
  { metric: 'rttRate', label: 'RTT req/s', digits: 0 },
  { metric: 'pipelinedRate', label: 'pipelined req/s', digits: 0 },
  { metric: 'streamRate', label: 'stream msg/s', digits: 0 },
  { metric: 'fanoutRate', label: 'fan-out deliveries/s', digits: 0 },
  { metric: 'kbPerConnection', label: 'KB / idle conn', digits: 1 },
  { metric: 'connectMs', label: 'connect all, ms', digits: 0 },
]

export function machine() {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  }
}

const PACKAGES = ['ws', 'socket.io', 'socket.io-client', '@trpc/server', '@trpc/client', 'rpc-websockets'] as const

export function versions(): Record<string, string> {
  const root = new URL('../../', import.meta.url)
  const read = (path: string) => (JSON.parse(readFileSync(new URL(path, root), 'utf8')) as { version: string }).version
  const result: Record<string, string> = {}
  // The servers run src/ as it is on disk: say whether that is the commit or has changes on top.
  let source = 'src/ outside git'
  try {
    const git = (args: string) => execSync(`git ${args}`, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = git('diff --name-only HEAD -- src') !== ''
    source = `src/ at ${git('rev-parse --short HEAD')}${dirty ? ' with uncommitted changes' : ''}`
  } catch {
    // Not a git checkout.
  }
  result['wirerpc'] = `${read('package.json')} (${source})`
  for (const name of PACKAGES) result[name] = read(`node_modules/${name}/package.json`)
  return result
}

export function ratio(summary: PeerSummary, base: PeerSummary | undefined, metric: Metric): number {
  return base ? summary[metric] / base[metric] : Number.NaN
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a')

function rows(summaries: readonly PeerSummary[]): string[][] {
  const base = summaries.find((s) => s.peer === 'bare')
  return summaries.map((s) => [s.peer, ...COLUMNS.map(({ metric, digits }) => `${fixed(s[metric], digits)} (${fixed(ratio(s, base, metric), 2)})`)])
}

function targetRows(summaries: readonly PeerSummary[]): string[][] {
  const base = summaries.find((s) => s.peer === 'bare')
  const wirerpc = summaries.find((s) => s.peer === 'wirerpc')
  return TARGETS.map(({ metric, label, op, ratio: target }) => {
    const value = wirerpc ? ratio(wirerpc, base, metric) : Number.NaN
    const met = Number.isFinite(value) ? (op === '<=' ? value <= target : value >= target) : undefined
    return [label, `${op} ${target.toFixed(2)}`, fixed(value, 2), met === undefined ? 'n/a' : met ? 'met' : 'not met']
  })
}

export function textReport(summaries: readonly PeerSummary[]): string {
  const header = ['peer', ...COLUMNS.map((c) => `${c.label} (× bare)`)]
  const targets = formatTable([['wirerpc target', 'ratio to bare', 'measured', ''], ...targetRows(summaries)])
  return `${formatTable([header, ...rows(summaries)])}\n\n${targets}`
}

const markdownTable = (header: readonly string[], body: readonly (readonly string[])[], right: number) =>
  [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < right ? '---' : '---:')).join('|')}|`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n')

export interface ReportContext {
  readonly date: string
  readonly rounds: number
  readonly settings: Settings
  readonly notes: readonly string[]
  readonly seconds: number
}

export function markdownReport(summaries: readonly PeerSummary[], context: ReportContext): string {
  const m = machine()
  const header = ['peer', ...COLUMNS.map((c) => `${c.label} (× bare)`)]
  const s = context.settings
  return [
    '# Peers benchmark: latest full run',
    '',
    `Written by \`BENCH_ONLY=peers npm run bench\` (bench/peers.ts); the method is in docs/performance.md.`,
    '',
    `- date: ${context.date}; ${context.rounds} interleaved rounds, medians; the run took ${Math.round(context.seconds)} s`,
    `- machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.platform}, Node ${m.node}`,
    `- packages: ${Object.entries(versions()).map(([name, version]) => `${name} ${version}`).join('; ')}`,
    `- workloads: RTT ${s.rttWarmup} warm-up + up to ${s.rttCalls} calls (≤ ${s.rttSeconds} s); pipelined ${s.inFlight} in flight, ${s.pipelinedWarmupSeconds} s warm-up + ${s.pipelinedSeconds} s; ` +
      `stream ${s.streamWarmup} warm-up + ${s.streamItems} items; fan-out ${s.fanSubscribers} subscribers × ${s.fanMessages} messages (after ${s.fanWarmupMessages}-message warm-up rounds); ` +
      `${s.idleConnections} idle connections`,
    ...context.notes.map((note) => `- note: ${note}`),
    '',
    'Each cell: the median, and in parentheses its ratio to `bare`. Lower is better for RTT, KB and connect time; higher for the rates.',
    '',
    markdownTable(header, rows(summaries), 1),
    '',
    '## Targets for wirerpc (issue 9)',
    '',
    markdownTable(['metric', 'target (× bare)', 'measured (× bare)', 'status'], targetRows(summaries), 1),
    '',
  ].join('\n')
}
