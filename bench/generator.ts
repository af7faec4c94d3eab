/**
 * Generator: how long `createGenerator(…).run()` takes on a synthetic project of 500 routes
 * (`bench/lib/synthetic-project.ts`), cold (a new Node process per run) and incremental (one
 * generator, a run after each edit). Each run happens in a child process
 * (`bench/lib/generator-runner.ts`), which checks what the generator found; this module checks
 * the manifests the cold runs wrote.
 *
 * Knobs: BENCH_GEN_RUNS (cold runs, default 5), BENCH_GEN_EDITS (edits of each kind, default 10),
 * BENCH_GEN_CPU_PROF (a directory: the child processes write `--cpu-prof` profiles there).
 */
import { positiveInteger } from './lib/config.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Benchmark } from './lib/benchmark.js'
import type { ColdRunnerResult, EditTiming, IncrementalRunnerResult, RunnerJob } from './lib/generator-runner.js'
import { median, round } from './lib/stats.js'
import { countManifestEntries, createSyntheticProject, REPO_ROOT, removeProject, type SyntheticProject } from './lib/synthetic-project.js'
import { formatTable } from './lib/table.js'

/** The targets of the performance issue, for the project below on the 2-core benchmark machine. */
const TARGETS = { coldMs: 5_000, incrementalMs: 300 } as const
const SHAPE = { files: 50, routesPerFile: 10 } as const
const RUNNER = fileURLToPath(new URL('./lib/generator-runner.ts', import.meta.url))
const RUN_TIMEOUT_MS = { cold: 120_000, incremental: 600_000 } as const

// Whatever happens (error, Ctrl-C), no runner process and no temporary project survive the run.
const children = new Set<ChildProcess>()
const projects = new Set<string>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of projects) removeProject(dir)
})

interface Spawned<T> {
  result: T
  /** Spawn to exit, as seen from this process. */
  wallMs: number
}

/** Runs one job in a fresh `node --import tsx` process and returns its `result` line. */
function runJob<T>(job: RunnerJob, timeoutMs: number, profileDir: string | undefined): Promise<Spawned<T>> {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=generator-${job.mode}-${Date.now()}.cpuprofile`] : []
  const started = performance.now()
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', RUNNER, JSON.stringify(job)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  children.add(child)
  let stdout = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`generator runner (${job.mode}): no result within ${timeoutMs} ms.`))
    }, timeoutMs)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      const wallMs = performance.now() - started
      clearTimeout(timer)
      children.delete(child)
      const line = stdout.split('\n').find((text) => text.startsWith('result '))
      if (code !== 0 || !line) return reject(new Error(`generator runner (${job.mode}) failed (code ${code}, signal ${signal}):\n${stdout}`))
      resolve({ result: JSON.parse(line.slice('result '.length)) as T, wallMs })
    })
  })
}

/** Loads both manifests the way an application would, and checks they hold exactly the project's routes. */
async function verifyManifests(project: SyntheticProject): Promise<{ server: { routes: number; ws: number }; client: { routes: number; streaming: number } }> {
  const expected = [...project.routeNames].sort()
  const fail = (message: string): never => {
    throw new Error(`Generator output is wrong: ${message}`)
  }
  const server = ((await import(pathToFileURL(project.options.serverOutFile).href)) as { default: { protocol: string; name: string }[] }).default
  if (!Array.isArray(server)) fail('the server manifest exports no array.')
  const serverNames = server.map((entry) => entry.name).sort()
  if (server.length !== expected.length) fail(`the server manifest holds ${server.length} routes, the project ${expected.length}.`)
  if (JSON.stringify(serverNames) !== JSON.stringify(expected)) fail('the server manifest routes differ from the project routes.')
  const ws = server.filter((entry) => entry.protocol === 'ws').length
  if (ws !== project.counts.ws) fail(`the server manifest holds ${ws} WebSocket routes, the project ${project.counts.ws}.`)
  const client = (await import(pathToFileURL(project.options.clientOutFile).href)) as Record<string, { protocol?: string; format?: string }>
  const clientNames = Object.keys(client).sort()
  if (clientNames.length !== expected.length) fail(`the client manifest exports ${clientNames.length} route constants, the project has ${expected.length} routes.`)
  if (JSON.stringify(clientNames) !== JSON.stringify(expected)) fail('the client manifest exports differ from the project routes.')
  const streaming = Object.values(client).filter((entry) => entry.format === 'json-seq').length
  if (streaming !== project.counts.streaming) fail(`the client manifest holds ${streaming} streaming routes, the project ${project.counts.streaming}.`)
  // The text counts the incremental runner relies on must agree with the loaded modules.
  const text = countManifestEntries(await readFile(project.options.serverOutFile, 'utf8'), await readFile(project.options.clientOutFile, 'utf8'))
  if (text.server !== expected.length || text.client !== expected.length) fail(`text counts ${JSON.stringify(text)} disagree with ${expected.length} routes.`)
  return { server: { routes: server.length, ws }, client: { routes: clientNames.length, streaming } }
}

const ms = (value: number) => Math.round(value)
const verdict = (value: number, target: number) => (value < target ? 'PASS' : 'FAIL')
const summary = (values: readonly number[]) => ({ median: round(median(values), 1), min: round(Math.min(...values), 1), max: round(Math.max(...values), 1) })

export const generatorBenchmark: Benchmark = {
  name: 'generator',
  title: `Generator: ${SHAPE.files * SHAPE.routesPerFile} routes, cold and incremental`,
  async run() {
    const coldRuns = positiveInteger('BENCH_GEN_RUNS', 5)
    const edits = positiveInteger('BENCH_GEN_EDITS', 10)
    const profileDir = process.env['BENCH_GEN_CPU_PROF'] ? path.resolve(process.env['BENCH_GEN_CPU_PROF']) : undefined
    const project = await createSyntheticProject(SHAPE)
    projects.add(project.dir)
    try {
      const routes = project.routeNames.length
      console.error(`  project: ${project.dir} (${SHAPE.files} files × ${SHAPE.routesPerFile} routes: ${project.counts.http} HTTP of which ${project.counts.streaming} streaming, ${project.counts.ws} WebSocket)`)

      // Cold: one process per run, after one unmeasured run that fills the OS file cache and
      // tsx's transform cache. The outputs are deleted first, so every run writes both manifests.
      const cold: Spawned<ColdRunnerResult>[] = []
      for (let i = 0; i <= coldRuns; i++) {
        await Promise.all([rm(project.options.serverOutFile, { force: true }), rm(project.options.clientOutFile, { force: true })])
        const run = await runJob<ColdRunnerResult>({ mode: 'cold', project }, RUN_TIMEOUT_MS.cold, profileDir)
        if (run.result.written !== 2) throw new Error(`cold run ${i}: expected both manifests written, got ${run.result.written}.`)
        console.error(`  cold ${i === 0 ? 'warm-up' : `run ${i}`}: generate ${ms(run.result.generateMs)} ms, process ${ms(run.wallMs)} ms`)
        if (i > 0) cold.push(run)
      }
      const manifests = await verifyManifests(project)

      // Incremental: one process, one generator, edits in turn.
      const { result: incremental, wallMs: incrementalWallMs } = await runJob<IncrementalRunnerResult>(
        { mode: 'incremental', project, edits, noChangeRuns: 3 },
        RUN_TIMEOUT_MS.incremental,
        profileDir,
      )
      const byKind = (kind: EditTiming['kind']) => incremental.runs.filter((run) => run.kind === kind).map((run) => run.ms)
      const appendMs = byKind('append-route')
      const changeMs = byKind('change-type')
      const noChangeMs = byKind('no-change')
      console.error(`  incremental: first run ${ms(incremental.firstRunMs)} ms; append-route ${appendMs.map(ms).join(' ')}; change-type ${changeMs.map(ms).join(' ')}`)

      const results = {
        project: { ...SHAPE, routes, ...project.counts, sharedTypes: project.sharedTypes },
        settings: { coldRuns, edits, noChangeRuns: noChangeMs.length },
        targets: TARGETS,
        manifests,
        cold: {
          generateMs: summary(cold.map((run) => run.result.generateMs)),
          reportedMs: summary(cold.map((run) => run.result.reportedMs)),
          importMs: summary(cold.map((run) => run.result.importMs)),
          processWallMs: summary(cold.map((run) => run.wallMs)),
          runs: cold.map(({ result, wallMs }) => ({
            generateMs: round(result.generateMs, 1),
            reportedMs: round(result.reportedMs, 1),
            importMs: round(result.importMs, 1),
            sinceProcessStartMs: round(result.sinceProcessStartMs, 1),
            wallMs: round(wallMs, 1),
          })),
        },
        incremental: {
          firstRunMs: round(incremental.firstRunMs, 1),
          noChangeMs: summary(noChangeMs),
          appendRouteMs: summary(appendMs),
          changeTypeMs: summary(changeMs),
          processWallMs: round(incrementalWallMs, 1),
          runs: incremental.runs.map((run) => ({ ...run, ms: round(run.ms, 1) })),
        },
        verdicts: {
          cold: verdict(median(cold.map((run) => run.result.generateMs)), TARGETS.coldMs),
          coldProcess: verdict(median(cold.map((run) => run.wallMs)), TARGETS.coldMs),
          appendRoute: verdict(median(appendMs), TARGETS.incrementalMs),
          changeType: verdict(median(changeMs), TARGETS.incrementalMs),
        },
      }
      const line = (label: string, values: readonly number[], target: number | undefined, note: string) => {
        const s = summary(values)
        return [label, values.length, ms(s.median), ms(s.min), ms(s.max), target === undefined ? '' : `< ${target}`, target === undefined ? '' : verdict(s.median, target), note]
      }
      const rows: (string | number)[][] = [
        ['measure', 'runs', 'median ms', 'min ms', 'max ms', 'target ms', 'verdict', 'what'],
        line('cold: createGenerator + run', cold.map((run) => run.result.generateMs), TARGETS.coldMs, 'new process each run; TypeScript import included'),
        line('cold: process wall time', cold.map((run) => run.wallMs), TARGETS.coldMs, 'spawn to exit: Node + tsx start-up, generator import, run'),
        line('cold: generator import', cold.map((run) => run.result.importMs), undefined, 'src/generator through tsx, before createGenerator'),
        line('incremental: append a route', appendMs, TARGETS.incrementalMs, 'run() after appending a route to one module'),
        line('incremental: change a type', changeMs, TARGETS.incrementalMs, "run() after changing Address.version in types.ts"),
        line('incremental: no change', noChangeMs, undefined, 'run() again, nothing edited'),
        line('incremental: first run', [incremental.firstRunMs], undefined, 'the same process, before the edits'),
      ]
      const checked = `checked: ${manifests.server.routes} server entries (${manifests.server.ws} WebSocket), ${manifests.client.routes} client constants (${manifests.client.streaming} streaming); every edit found in both manifests`
      return { table: `${formatTable(rows)}\n${checked}`, results }
    } finally {
      removeProject(project.dir)
      projects.delete(project.dir)
    }
  },
}
