/**
 * The command line: `node:util` `parseArgs` plus the help text. Paths stay as typed here; config.ts
 * resolves them against the working directory.
 *
 * @module
 */
import { parseArgs } from 'node:util'

/** The flags as given; a field is present only when its flag was. */
export interface CliFlags {
  include?: string[]
  root?: string
  serverOutFile?: string
  clientOutFile?: string
  tsConfigFile?: string
  versionPrefix?: string
  config?: string
  watch: boolean
}

export type CliCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'generate'; flags: CliFlags }

/** A mistake in the command line or the config file: printed with a hint, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const helpText = `Usage: wirerpc [include globs...] [options]

Reads the route modules matched by the globs and writes the server and client manifests.
Globs are relative to --root; quote them so that the shell does not expand them.

Options:
  --server-out <file>        server manifest (default: ./server/generated/api.ts)
  --client-out <file>        client manifest (default: ./client/generated/api.ts)
  --root <dir>               project root that globs and outputs are relative to (default: cwd)
  --tsconfig <file>          tsconfig whose compiler options are used (default: ./tsconfig.json)
  --version-prefix <prefix>  version segment put in front of every route path, such as v1 (default: '')
  -c, --config <file>        config file (default: wirerpc.config.{ts,mts,js,mjs} in the root)
  -w, --watch                run again whenever a route module or a file it imports changes
  -h, --help                 print this help
  -v, --version              print the version

Flags override the config file's fields; with several APIs in the config, they apply to each.
Exit code: 1 if any error was reported, 0 otherwise.
Docs: docs/generator.md in the wirerpc package.`

const options = {
  'server-out': { type: 'string' },
  'client-out': { type: 'string' },
  root: { type: 'string' },
  tsconfig: { type: 'string' },
  'version-prefix': { type: 'string' },
  config: { type: 'string', short: 'c' },
  watch: { type: 'boolean', short: 'w' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

/** Parses `process.argv.slice(2)`; throws a UsageError for unknown flags or missing values. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    // parseArgs throws TypeErrors whose messages name the flag (ERR_PARSE_ARGS_*); the advice it
    // appends for unknown options (about positionals after '--') is rarely what was meant.
    const message = error instanceof Error ? error.message : String(error)
    throw new UsageError(message.replace(/\. To specify a positional argument[\s\S]*$/, '.'))
  }
  const { values, positionals } = parsed
  if (values.help) return { kind: 'help' }
  if (values.version) return { kind: 'version' }
  const flags: CliFlags = { watch: values.watch ?? false }
  if (positionals.length > 0) flags.include = positionals
  if (values.root !== undefined) flags.root = nonEmpty('--root', values.root)
  if (values['server-out'] !== undefined) flags.serverOutFile = nonEmpty('--server-out', values['server-out'])
  if (values['client-out'] !== undefined) flags.clientOutFile = nonEmpty('--client-out', values['client-out'])
  if (values.tsconfig !== undefined) flags.tsConfigFile = nonEmpty('--tsconfig', values.tsconfig)
  if (values['version-prefix'] !== undefined) flags.versionPrefix = values['version-prefix']
  if (values.config !== undefined) flags.config = nonEmpty('--config', values.config)
  return { kind: 'generate', flags }
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${flag} needs a non-empty value.`)
  return value
}
