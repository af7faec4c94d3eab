/**
 * The generator's programmatic API: from route modules to the server and client manifests.
 * `createGenerator` keeps the TypeScript program between runs, so that a run after a change
 * re-checks only what changed (watch mode and build tools use it).
 *
 * @module
 */
import { statSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { globSync } from 'tinyglobby'
import type ts from 'typescript'
import type { Config } from '../config/index.js'
import { RouteAnalyzer, type RouteInfo } from './analyze.js'
import type { Diagnostic } from './diagnostics.js'
import { emitClientManifest } from './emit/client-manifest.js'
import { emitServerManifest } from './emit/server-manifest.js'

export type GeneratorOptions = Config

export interface GenerateResult {
  /** Routes found (HTTP and WebSocket). */
  routes: number
  /** Server push events found (`pushEvent(…)`), not counted in `routes`. */
  pushEvents: number
  /** Output files written this run (unchanged files are not rewritten). */
  written: string[]
  /** Route modules read. */
  files: string[]
  errors: Diagnostic[]
  warnings: Diagnostic[]
  /** Wall time of the run, in milliseconds. */
  duration: number
}

export interface Generator {
  /**
   * Runs the generator; never throws for problems in the user's code (they are in `errors`).
   * Calls do not overlap: a run asked for during another starts when that one ends.
   */
  run(): Promise<GenerateResult>
  /** Every file the last run's program read (route modules and what they import), for watchers. */
  programFiles(): string[]
  /** The resolved options. */
  readonly options: Required<GeneratorOptions>
}

/** Runs the generator once. */
export function generate(options: GeneratorOptions): Promise<GenerateResult> {
  return createGenerator(options).run()
}

export function createGenerator(options: GeneratorOptions): Generator {
  const resolved = resolveOptions(options)
  let program: ts.Program | undefined
  let typescript: typeof import('typescript') | undefined
  let host: ts.CompilerHost | undefined
  let hostOptions: string | undefined
  let running: Promise<GenerateResult> | undefined

  /** Runs are serialised: a run asked for while one is going starts when it ends. */
  function run(): Promise<GenerateResult> {
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(runOnce)
    running = next
    return next
  }

  async function runOnce(): Promise<GenerateResult> {
    const started = performance.now()
    typescript ??= await loadTypeScript()
    const ts = typescript
    const errors: Diagnostic[] = []
    const warnings: Diagnostic[] = []
    const finish = (found: RouteInfo[], written: string[], files: string[]): GenerateResult => ({
      routes: found.filter((route) => route.protocol !== 'push').length,
      pushEvents: found.filter((route) => route.protocol === 'push').length,
      written,
      files,
      errors,
      warnings,
      duration: performance.now() - started,
    })

    const compilerOptions = readCompilerOptions(ts, resolved, errors)
    const files = findRouteFiles(resolved)
    if (files.length === 0) errors.push({ severity: 'error', message: `No route files match ${JSON.stringify(resolved.include)} under ${resolved.root}: check "include".` })
    if (errors.length > 0 || !compilerOptions) return finish([], [], files)

    // One host per compiler options, caching parsed files by modification time: the default host
    // re-parses every file (lib declarations included) on each run, which `oldProgram` cannot avoid.
    const optionsKey = JSON.stringify(compilerOptions)
    if (!host || hostOptions !== optionsKey) {
      host = cachingHost(ts, compilerOptions)
      hostOptions = optionsKey
    }
    program = ts.createProgram({ rootNames: files, options: compilerOptions, host, ...(program ? { oldProgram: program } : {}) })
    for (const diagnostic of program.getSyntacticDiagnostics()) errors.push(fromTsDiagnostic(ts, diagnostic))
    if (errors.length > 0) return finish([], [], files)

    const analyzer = new RouteAnalyzer(ts, program, isUserFile(program))
    const routes: RouteInfo[] = []
    const diagnostics: Diagnostic[] = []
    for (const fileName of files) {
      const sourceFile = program.getSourceFile(fileName)
      if (sourceFile) routes.push(...analyzer.analyzeFile(sourceFile, diagnostics))
    }
    for (const diagnostic of diagnostics) (diagnostic.severity === 'error' ? errors : warnings).push(diagnostic)
    checkDuplicates(routes, errors)
    if (errors.length > 0) return finish(routes, [], files)

    const definitions = analyzer.walker.definitions
    const serverDir = path.dirname(resolved.serverOutFile)
    const keepTs = compilerOptions.allowImportingTsExtensions === true || compilerOptions.rewriteRelativeImportExtensions === true
    const server = emitServerManifest({ routes, definitions, versionPrefix: resolved.versionPrefix, specifierOf: (file) => specifier(serverDir, file, keepTs) })
    const client = emitClientManifest({ routes, definitions, versionPrefix: resolved.versionPrefix })
    const written: string[] = []
    for (const [file, text] of [[resolved.serverOutFile, server], [resolved.clientOutFile, client]] as const) {
      if (await writeIfChanged(file, text)) written.push(file)
    }
    return finish(routes, written, files)
  }

  return {
    run,
    programFiles: () => program?.getSourceFiles().map((file) => file.fileName).filter((file) => !file.includes('/node_modules/')) ?? [],
    options: resolved,
  }
}

function resolveOptions(options: GeneratorOptions): Required<GeneratorOptions> {
  const root = path.resolve(options.root ?? process.cwd())
  return {
    include: options.include,
    root,
    serverOutFile: path.resolve(root, options.serverOutFile ?? './server/generated/api.ts'),
    clientOutFile: path.resolve(root, options.clientOutFile ?? './client/generated/api.ts'),
    tsConfigFile: path.resolve(root, options.tsConfigFile ?? './tsconfig.json'),
    versionPrefix: options.versionPrefix ?? '',
  }
}

async function loadTypeScript(): Promise<typeof import('typescript')> {
  try {
    // require() rather than import(): Node scans the 9 MB CommonJS file for named exports on
    // import(), which costs about 250 ms of every cold run.
    return createRequire(import.meta.url)('typescript') as typeof import('typescript')
  } catch {
    throw new Error('The wirerpc generator needs the "typescript" package (^5.9 or ^6): run `npm install --save-dev typescript`.')
  }
}

function readCompilerOptions(ts: typeof import('typescript'), options: Required<GeneratorOptions>, errors: Diagnostic[]): ts.CompilerOptions | undefined {
  const read = ts.readConfigFile(options.tsConfigFile, ts.sys.readFile)
  if (read.error) {
    errors.push({ ...fromTsDiagnostic(ts, read.error), message: `Cannot read the tsconfig ${options.tsConfigFile}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')} (set --tsconfig).` })
    return undefined
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(options.tsConfigFile), undefined, options.tsConfigFile)
  for (const error of parsed.errors.filter((error) => error.category === ts.DiagnosticCategory.Error && error.code !== 18003)) errors.push(fromTsDiagnostic(ts, error))
  return { ...parsed.options, noEmit: true, declaration: false, incremental: false, composite: false }
}

function findRouteFiles(options: Required<GeneratorOptions>): string[] {
  const patterns = typeof options.include === 'string' ? [options.include] : [...options.include]
  // Globs such as `src/**/*.ts` must not pick up the generator's own outputs or config.
  const own = new Set([options.serverOutFile, options.clientOutFile])
  return globSync(patterns, { cwd: options.root, absolute: true, ignore: ['**/node_modules/**', '**/*.d.ts', '**/wirerpc.config.*'] })
    .map((file) => path.normalize(file))
    .filter((file) => !own.has(file))
    .sort()
}

/** A compiler host that reuses parsed source files until their modification time changes. */
function cachingHost(ts: typeof import('typescript'), options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true)
  const cache = new Map<string, { stamp: string; file: ts.SourceFile }>()
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    // Modification time and size: two saves within the clock's resolution rarely keep the size.
    const stats = statSync(fileName, { throwIfNoEntry: false })
    const stamp = stats ? `${stats.mtimeMs}:${stats.size}` : ''
    const cached = cache.get(fileName)
    if (cached && stamp && cached.stamp === stamp) return cached.file
    const file = getSourceFile(fileName, languageVersion, onError, shouldCreate)
    if (file) cache.set(fileName, { stamp, file })
    else cache.delete(fileName)
    return file
  }
  return host
}

/** Files whose named types are copied to the client: the user's own, not libraries' or wirerpc's. */
function isUserFile(program: ts.Program) {
  const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
  const own = [path.join(packageRoot, 'src') + path.sep, path.join(packageRoot, 'dist') + path.sep]
  return (file: ts.SourceFile) =>
    !program.isSourceFileDefaultLibrary(file) &&
    !program.isSourceFileFromExternalLibrary(file) &&
    !file.fileName.includes('/node_modules/') &&
    !own.some((dir) => path.normalize(file.fileName).startsWith(dir))
}

function checkDuplicates(routes: RouteInfo[], errors: Diagnostic[]) {
  const seen = new Map<string, RouteInfo>()
  const clientNames = new Map<string, RouteInfo>()
  for (const route of routes) {
    const key = route.protocol === 'http' ? `${route.method} ${route.path}` : route.protocol === 'ws' ? `ws ${route.name}` : `push event "${route.event}"`
    const other = seen.get(key)
    if (other) errors.push({ severity: 'error', file: route.file, route: route.name, message: `Routes "${other.name}" (${other.file}) and "${route.name}" both answer ${key}: ${route.protocol === 'push' ? 'give one another name' : 'change one path or method'}.` })
    seen.set(key, route)
    const clientName = route.name.replace(/\./g, '_')
    const sameName = clientNames.get(clientName)
    if (sameName && !other) {
      errors.push({ severity: 'error', file: route.file, route: route.name, message: `"${sameName.name}" (${sameName.file}) and "${route.name}" would share the client name "${clientName}": rename one export.` })
    }
    clientNames.set(clientName, route)
    if (clientName === 'extend') errors.push({ severity: 'error', file: route.file, route: route.name, message: 'A route cannot be named "extend": the client uses that name for extend(); rename the export.' })
  }
}

function specifier(fromDir: string, file: string, keepTs: boolean): string {
  let relative = path.relative(fromDir, file).split(path.sep).join('/')
  if (!relative.startsWith('.')) relative = `./${relative}`
  return keepTs ? relative : relative.replace(/\.([mc]?)ts$/, '.$1js').replace(/\.tsx$/, '.js')
}

async function writeIfChanged(file: string, text: string): Promise<boolean> {
  const current = await readFile(file, 'utf8').catch(() => undefined)
  if (current === text) return false
  await mkdir(path.dirname(file), { recursive: true })
  // Write then rename, so that a bundler or another process never reads a half-written manifest.
  const temporary = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(temporary, text)
  await rename(temporary, file)
  return true
}

function fromTsDiagnostic(ts: typeof import('typescript'), diagnostic: ts.Diagnostic): Diagnostic {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
  if (!diagnostic.file || diagnostic.start === undefined) return { severity: 'error', message }
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
  return { severity: 'error', message, file: diagnostic.file.fileName, line: line + 1, column: character + 1 }
}
