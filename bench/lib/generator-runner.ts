/**
 * Child process of the generator benchmark (`bench/generator.ts`), run as
 * `node --import tsx bench/lib/generator-runner.ts <job JSON>`. It prints one line,
 * `result <JSON>`, and exits non-zero if a run finds anything but what the project holds.
 *
 * - `cold`: one `createGenerator(…).run()` in this fresh process.
 * - `incremental`: one generator; a first run, then edits (a route appended to a route module, a
 *   property type changed in `types.ts`, in turn), each followed by a timed `run()` and a check
 *   that both manifests picked the edit up; last, a few runs without changes.
 */
import { readFile } from 'node:fs/promises'
import type { GenerateResult } from '../../src/generator/index.js'
import { appendRoute, changeSharedType, countManifestEntries, type Edit, type SyntheticProject } from './synthetic-project.js'

export type RunnerJob = { mode: 'cold'; project: SyntheticProject } | { mode: 'incremental'; project: SyntheticProject; edits: number; noChangeRuns: number }

export interface ColdRunnerResult {
  mode: 'cold'
  /** Import of the generator module (the TypeScript package is imported later, by `run()`). */
  importMs: number
  /** `createGenerator(…)` + `run()`, TypeScript import included. */
  generateMs: number
  /** `GenerateResult.duration`: the generator's own measure of `run()`. */
  reportedMs: number
  /** Process start to result, as seen from inside (Node and tsx start-up included). */
  sinceProcessStartMs: number
  routes: number
  files: number
  written: number
}

export interface EditTiming {
  kind: Edit['kind'] | 'no-change'
  /** Time of `run()` after the edit. */
  ms: number
  routes: number
  written: number
}

export interface IncrementalRunnerResult {
  mode: 'incremental'
  importMs: number
  /** The first `run()` of the generator (cold, in this process). */
  firstRunMs: number
  runs: EditTiming[]
}

/** Fails loudly unless the run is clean and found `routes` routes. */
function check(result: GenerateResult, routes: number, what: string): void {
  if (result.errors.length > 0) {
    throw new Error(`${what}: the generator reported ${result.errors.length} errors, first: ${JSON.stringify(result.errors.slice(0, 3), null, 2)}`)
  }
  if (result.routes !== routes) throw new Error(`${what}: expected ${routes} routes, the generator found ${result.routes}.`)
}

async function checkManifests(project: SyntheticProject, edit: Edit, what: string): Promise<void> {
  const [server, client] = await Promise.all([readFile(project.options.serverOutFile, 'utf8'), readFile(project.options.clientOutFile, 'utf8')])
  const counts = countManifestEntries(server, client)
  if (counts.server !== edit.routes || counts.client !== edit.routes) {
    throw new Error(`${what}: expected ${edit.routes} routes in each manifest, found ${counts.server} (server) and ${counts.client} (client).`)
  }
  if (!client.includes(edit.clientMustContain)) throw new Error(`${what}: the client manifest lacks ${JSON.stringify(edit.clientMustContain)}.`)
  if (!server.includes(edit.serverMustContain)) throw new Error(`${what}: the server manifest lacks ${JSON.stringify(edit.serverMustContain)}.`)
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const value = await fn()
  return [value, performance.now() - started]
}

async function cold(project: SyntheticProject): Promise<ColdRunnerResult> {
  const [{ createGenerator }, importMs] = await timed(() => import('../../src/generator/index.js'))
  const [result, generateMs] = await timed(() => createGenerator(project.options).run())
  const sinceProcessStartMs = performance.now()
  check(result, project.routeNames.length, 'cold run')
  return { mode: 'cold', importMs, generateMs, reportedMs: result.duration, sinceProcessStartMs, routes: result.routes, files: result.files.length, written: result.written.length }
}

async function incremental(project: SyntheticProject, edits: number, noChangeRuns: number): Promise<IncrementalRunnerResult> {
  const [{ createGenerator }, importMs] = await timed(() => import('../../src/generator/index.js'))
  const generator = createGenerator(project.options)
  let routes = project.routeNames.length
  const [first, firstRunMs] = await timed(() => generator.run())
  check(first, routes, 'first run')
  const runs: EditTiming[] = []
  // The two kinds of edit alternate, so that noise from other tenants falls on both alike.
  for (let n = 1; n <= edits; n++) {
    for (const makeEdit of [appendRoute, changeSharedType]) {
      const edit = await makeEdit(project, n, routes)
      const what = `${edit.kind} #${n} (${edit.file})`
      const [result, ms] = await timed(() => generator.run())
      check(result, edit.routes, what)
      if (result.written.length !== 2) throw new Error(`${what}: expected both manifests rewritten, got ${JSON.stringify(result.written)}.`)
      await checkManifests(project, edit, what)
      routes = edit.routes
      runs.push({ kind: edit.kind, ms, routes: result.routes, written: result.written.length })
    }
  }
  // Last, so that they too run with a warmed-up JIT.
  for (let i = 0; i < noChangeRuns; i++) {
    const [result, ms] = await timed(() => generator.run())
    check(result, routes, `run ${i + 1} without changes`)
    if (result.written.length > 0) throw new Error(`run ${i + 1} without changes rewrote ${result.written.join(', ')}.`)
    runs.push({ kind: 'no-change', ms, routes: result.routes, written: 0 })
  }
  return { mode: 'incremental', importMs, firstRunMs, runs }
}

const job = JSON.parse(process.argv[2] ?? 'null') as RunnerJob | null
if (!job) throw new Error('usage: node --import tsx bench/lib/generator-runner.ts <job JSON>')
const output = job.mode === 'cold' ? await cold(job.project) : await incremental(job.project, job.edits, job.noChangeRuns)
console.log(`result ${JSON.stringify(output)}`)
