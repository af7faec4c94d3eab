/**
 * What the CLI prints after a run: diagnostics (stderr) as `file:line:col - error: message`, then
 * one summary line (stdout when the run succeeded, stderr when it failed). Paths are relative to
 * the working directory so that terminals and editors can link them.
 *
 * @module
 */
import path from 'node:path'
import { formatDiagnostic } from '../generator/index.js'
import type { GenerateResult, Generator } from '../generator/index.js'

export interface Output {
  out(line: string): void
  err(line: string): void
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}

/** Prints one run's diagnostics and summary; returns whether it had no errors. */
export function reportRun(result: GenerateResult, options: Generator['options'], cwd: string, output: Output = consoleOutput): boolean {
  const relative = relativeTo(cwd)
  for (const diagnostic of [...result.errors, ...result.warnings]) output.err(formatDiagnostic(diagnostic, relative))
  const line = summaryLine(result, options, cwd)
  if (result.errors.length > 0) output.err(line)
  else output.out(line)
  return result.errors.length === 0
}

/**
 * `wirerpc: 3 routes and 1 push event from 1 file → server/generated/api.ts, client/generated/api.ts (45 ms)`, with
 * "unchanged" for outputs that were already up to date, or the error count when nothing was written.
 */
export function summaryLine(result: GenerateResult, options: Generator['options'], cwd: string): string {
  const relative = relativeTo(cwd)
  const outputs = [options.serverOutFile, options.clientOutFile]
  const time = `(${Math.round(result.duration)} ms)`
  if (result.errors.length > 0) {
    return `wirerpc: ${count(result.errors.length, 'error')}${warnings(result)}; ${outputs.map(relative).join(', ')} not written ${time}`
  }
  const written = outputs.filter((file) => result.written.includes(file)).map(relative)
  const unchanged = outputs.filter((file) => !result.written.includes(file)).map(relative)
  let targets: string
  if (written.length === 0) targets = `${unchanged.join(', ')} unchanged`
  else if (unchanged.length === 0) targets = written.join(', ')
  else targets = `${written.join(', ')} (${unchanged.join(', ')} unchanged)`
  const pushEvents = result.pushEvents > 0 ? ` and ${count(result.pushEvents, 'push event')}` : ''
  return `wirerpc: ${count(result.routes, 'route')}${pushEvents} from ${count(result.files.length, 'file')}${warnings(result)} → ${targets} ${time}`
}

export function relativeTo(cwd: string): (file: string) => string {
  return (file) => path.relative(cwd, path.resolve(file)) || '.'
}

/** An unexpected failure (not a problem in the user's routes): its message, without a stack. */
export function errorLine(error: unknown): string {
  return `wirerpc: ${error instanceof Error ? error.message : String(error)}`
}

function warnings(result: GenerateResult): string {
  return result.warnings.length > 0 ? `, ${count(result.warnings.length, 'warning')}` : ''
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
