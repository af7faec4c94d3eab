/**
 * Finds and loads `wirerpc.config.{ts,mts,js,mjs}`, then merges it with the command-line flags
 * into one set of generator options per API. Flags win, but only the flags that were given.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Config } from '../config/index.js'
import { formatDiagnostic } from '../generator/index.js'
import type { GeneratorOptions } from '../generator/index.js'
import { UsageError, type CliFlags } from './args.js'

/** Looked up in this order in the root (`--root`, or the working directory). */
export const configFileNames = ['wirerpc.config.ts', 'wirerpc.config.mts', 'wirerpc.config.js', 'wirerpc.config.mjs'] as const

/** A config file that cannot be loaded or holds wrong values. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** The temporary ES module a TypeScript config is compiled to, next to the config (watch mode ignores it). */
export const compiledConfigPattern = /\.timestamp-\d+-[0-9a-f]+\.mjs$/

const configKeys = new Set<string>(['include', 'root', 'serverOutFile', 'clientOutFile', 'tsConfigFile', 'versionPrefix'] satisfies (keyof Config)[])

export interface ResolvedApis {
  /** The config file read, if any (absolute). */
  configFile: string | undefined
  /** One entry per API; paths are absolute, or relative to that entry's absolute `root`. */
  apis: GeneratorOptions[]
}

/** Reads the config file (if any) and applies the flags to each of its APIs. */
export async function resolveApis(flags: CliFlags, cwd: string): Promise<ResolvedApis> {
  const flagRoot = flags.root === undefined ? undefined : path.resolve(cwd, flags.root)
  let configFile: string | undefined
  if (flags.config === undefined) configFile = findConfigFile(flagRoot ?? cwd)
  else {
    configFile = path.resolve(cwd, flags.config)
    if (!existsSync(configFile)) throw new UsageError(`The config file ${flags.config} does not exist.`)
  }
  const entries: Partial<Config>[] = configFile ? await loadConfigFile(configFile, cwd) : [{}]

  const apis = entries.map((entry): GeneratorOptions => {
    // Paths in the config are relative to its root, which defaults to the config's own folder;
    // paths on the command line are relative to the working directory.
    const configDir = configFile ? path.dirname(configFile) : cwd
    const root = flagRoot ?? path.resolve(configDir, entry.root ?? '.')
    const include = flags.include ?? entry.include
    if (include === undefined) {
      throw new UsageError(
        configFile
          ? `No route files to read: set "include" in ${path.relative(cwd, configFile)} or pass globs, as in: wirerpc 'src/routes/**/*.ts'.`
          : `No route files to read: pass globs, as in: wirerpc 'src/routes/**/*.ts', or create a wirerpc.config.ts.`,
      )
    }
    const options: GeneratorOptions = { include, root }
    const serverOutFile = flags.serverOutFile === undefined ? entry.serverOutFile : path.resolve(cwd, flags.serverOutFile)
    const clientOutFile = flags.clientOutFile === undefined ? entry.clientOutFile : path.resolve(cwd, flags.clientOutFile)
    const tsConfigFile = flags.tsConfigFile === undefined ? entry.tsConfigFile : path.resolve(cwd, flags.tsConfigFile)
    const versionPrefix = flags.versionPrefix ?? entry.versionPrefix
    if (serverOutFile !== undefined) options.serverOutFile = serverOutFile
    if (clientOutFile !== undefined) options.clientOutFile = clientOutFile
    if (tsConfigFile !== undefined) options.tsConfigFile = tsConfigFile
    if (versionPrefix !== undefined) options.versionPrefix = versionPrefix
    return options
  })
  return { configFile, apis }
}

export function findConfigFile(dir: string): string | undefined {
  return configFileNames.map((name) => path.join(dir, name)).find((file) => existsSync(file))
}

/**
 * Imports a config file and returns its APIs. A TypeScript config is compiled with `typescript`'s
 * `transpileModule` to a temporary `.mjs` file next to it, so that its imports resolve as they
 * would from the config itself; the temporary file is deleted once imported.
 */
export async function loadConfigFile(file: string, cwd = process.cwd()): Promise<Partial<Config>[]> {
  const shown = path.relative(cwd, file)
  const extension = path.extname(file)
  let exported: unknown
  if (extension === '.ts' || extension === '.mts') exported = await importTypeScript(file, shown)
  else if (extension === '.js' || extension === '.mjs') exported = await importModule(file, shown, `${pathToFileURL(file).href}?t=${Date.now()}`)
  else throw new UsageError(`The config file must end in .ts, .mts, .js or .mjs: ${shown}`)
  return validate(shown, exported)
}

/** `shown` is the file's name in messages (relative to the working directory). */
async function importTypeScript(file: string, shown: string): Promise<unknown> {
  const ts = await loadTypeScript()
  const source = await readFile(file, 'utf8')
  const output = ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  })
  const syntaxErrors = (output.diagnostics ?? []).filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)
  if (syntaxErrors.length > 0) {
    throw new ConfigError(
      syntaxErrors
        .map((diagnostic) => {
          const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
          const at = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : undefined
          return formatDiagnostic({ severity: 'error', message, file: shown, ...(at ? { line: at.line + 1, column: at.character + 1 } : {}) })
        })
        .join('\n'),
    )
  }
  const compiled = `${file}.timestamp-${Date.now()}-${randomBytes(4).toString('hex')}.mjs`
  await writeFile(compiled, output.outputText, { flag: 'wx' })
  try {
    return await importModule(file, shown, pathToFileURL(compiled).href, compiled)
  } finally {
    await unlink(compiled).catch(() => {})
  }
}

async function importModule(file: string, shown: string, url: string, compiled?: string): Promise<unknown> {
  let module: { default?: unknown }
  try {
    module = (await import(url)) as { default?: unknown }
  } catch (error) {
    let message = error instanceof Error ? error.message : String(error)
    // Name the user's file, not the temporary one.
    if (compiled) message = message.replaceAll(pathToFileURL(compiled).href, pathToFileURL(file).href).replaceAll(compiled, file)
    throw new ConfigError(`Cannot load the config file ${shown}: ${message}`)
  }
  if (module.default === undefined) throw new ConfigError(`The config file ${shown} has no default export: write \`export default defineConfig({ include: ... })\`.`)
  return module.default
}

function validate(file: string, exported: unknown): Partial<Config>[] {
  const entries = Array.isArray(exported) ? (exported as unknown[]) : [exported]
  if (entries.length === 0) throw new ConfigError(`The config file ${file} exports an empty array: give at least one API.`)
  return entries.map((entry, index) => {
    const where = Array.isArray(exported) ? `${file} (API ${index + 1})` : file
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(`${where}: the default export must be an object or an array of objects, made with defineConfig().`)
    const record = entry as Record<string, unknown>
    for (const key of Object.keys(record)) {
      if (!configKeys.has(key)) throw new ConfigError(`${where}: unknown option "${key}"; the options are ${[...configKeys].join(', ')}.`)
    }
    const include = record.include
    if (include !== undefined && typeof include !== 'string' && !(Array.isArray(include) && include.every((glob) => typeof glob === 'string'))) {
      throw new ConfigError(`${where}: "include" must be a glob or an array of globs.`)
    }
    for (const key of ['root', 'serverOutFile', 'clientOutFile', 'tsConfigFile', 'versionPrefix'] as const) {
      if (record[key] !== undefined && typeof record[key] !== 'string') throw new ConfigError(`${where}: "${key}" must be a string.`)
    }
    return record as Partial<Config>
  })
}

async function loadTypeScript(): Promise<typeof import('typescript')> {
  try {
    return (await import('typescript')).default
  } catch {
    throw new ConfigError('Reading a TypeScript config file needs the "typescript" package (^5.9 or ^6): run `npm install --save-dev typescript`.')
  }
}
