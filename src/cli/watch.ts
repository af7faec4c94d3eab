/**
 * Watch mode: re-runs a generator when one of its route modules, a file they import, or its
 * tsconfig changes, and when a route module is added or removed under the include globs.
 *
 * It watches directories, not files, with non-recursive `fs.watch`: editors that save by writing a
 * temporary file and renaming it over the original end a file watch, while the directory keeps
 * reporting; and Node 20's recursive watching on Linux is emulated and has missed files in new
 * subdirectories. The include globs' base directories are walked (skipping `node_modules` and
 * dot-directories) and each directory found is watched, as is the directory of every file the
 * last run's program read. The set is recomputed after every run, since imports change.
 *
 * @module
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs'
import path from 'node:path'
import type { Generator } from '../generator/index.js'
import { compiledConfigPattern } from './config.js'

export interface WatchOptions {
  /** Runs one generator and prints its result; must not throw. */
  run(generator: Generator): Promise<void>
  /** The config file: when it changes, `reload` gives the new generators (or undefined to keep the old ones). */
  configFile?: string | undefined
  reload?: () => Promise<Generator[] | undefined>
  /** Waits this long after the last change before running. @default 50 */
  debounce?: number
  /** Reported once per problem, such as a directory that cannot be watched. */
  warn(message: string): void
}

export interface Watcher {
  /** Resolves once stopped (SIGINT, SIGTERM or `stop()`) and the current run, if any, has ended. */
  readonly done: Promise<void>
  stop(): void
}

/** Files whose change can alter the manifests, besides the program's own files. */
const sourceFile = /\.(?:[cm]?tsx?|[cm]?jsx?|json)$/

/** Starts watching; the generators must have run once already (their program files are known). */
export function watchGenerators(initial: Generator[], options: WatchOptions): Watcher {
  const debounce = options.debounce ?? 50
  let generators = initial
  let targets = new Map<Generator, Targets>()
  /** Open watchers by directory, with the directory's inode to notice a directory replaced by another. */
  const watchers = new Map<string, { watcher: FSWatcher; ino: number }>()
  const pending = new Set<Generator>()
  const warned = new Set<string>()
  let reloadPending = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => (resolveDone = resolve))

  function onEvent(dir: string, name: string | Buffer | null) {
    if (stopped) return
    const file = name === null ? undefined : path.join(dir, name.toString())
    if (file !== undefined && file === options.configFile) {
      reloadPending = true
      schedule()
      return
    }
    if (file !== undefined && compiledConfigPattern.test(file)) return
    // A directory removed or replaced must be watched anew: forget its watcher, the next refresh reopens it.
    if (file !== undefined && watchers.has(file) && inode(file) !== watchers.get(file)?.ino) close(file)
    for (const generator of generators) {
      const target = targets.get(generator)
      if (target?.dirs.has(dir) && (file === undefined || target.triggeredBy(file))) pending.add(generator)
    }
    if (pending.size > 0) schedule()
  }

  function schedule() {
    clearTimeout(timer)
    timer = setTimeout(flush, debounce)
  }

  function flush() {
    if (stopped || running) return
    const reload = reloadPending
    reloadPending = false
    running = (async () => {
      let batch = generators.filter((generator) => pending.has(generator))
      pending.clear()
      if (reload && options.reload) {
        const next = await options.reload()
        if (next) {
          generators = next
          batch = next
        }
      }
      for (const generator of batch) {
        if (stopped) break
        await options.run(generator)
      }
      refresh()
    })()
      .catch((error: unknown) => options.warn(`watching failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        running = undefined
        if (stopped) resolveDone()
        else if (pending.size > 0 || reloadPending) schedule()
      })
  }

  function refresh() {
    if (stopped) return
    targets = new Map(generators.map((generator) => [generator, targetsOf(generator)]))
    const wanted = new Set<string>()
    for (const target of targets.values()) for (const dir of target.dirs) wanted.add(dir)
    if (options.configFile) wanted.add(path.dirname(options.configFile))
    for (const dir of watchers.keys()) if (!wanted.has(dir)) close(dir)
    for (const dir of wanted) if (!watchers.has(dir)) open(dir)
  }

  function open(dir: string) {
    try {
      const ino = inode(dir)
      if (ino === undefined) return
      const watcher = watch(dir, { persistent: true }, (_event, name) => onEvent(dir, name))
      watcher.on('error', () => {
        // The directory went away (or became unreadable): run again, which refreshes the set.
        close(dir)
        onEvent(dir, null)
      })
      watchers.set(dir, { watcher, ino })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      const message = code === 'ENOSPC' || code === 'EMFILE'
        ? `cannot watch more directories (${code}); raise the limit (on Linux: sysctl fs.inotify.max_user_watches) or narrow "include".`
        : `cannot watch ${dir}: ${(error as Error).message}`
      if (!warned.has(message)) options.warn(message)
      warned.add(message)
    }
  }

  function close(dir: string) {
    watchers.get(dir)?.watcher.close()
    watchers.delete(dir)
  }

  function stop() {
    if (stopped) return
    stopped = true
    clearTimeout(timer)
    for (const dir of [...watchers.keys()]) close(dir)
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    if (!running) resolveDone()
  }

  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  refresh()
  return { done, stop }
}

interface Targets {
  /** Directories whose entries matter to this generator. */
  dirs: Set<string>
  /** Whether a change to this path (in one of `dirs`) can change this generator's output. */
  triggeredBy(file: string): boolean
}

function targetsOf(generator: Generator): Targets {
  const { include, root, serverOutFile, clientOutFile, tsConfigFile } = generator.options
  const programFiles = new Set(generator.programFiles().map((file) => path.resolve(file)))
  const dirs = new Set<string>([path.dirname(tsConfigFile)])
  for (const file of programFiles) dirs.add(path.dirname(file))
  for (const glob of typeof include === 'string' ? [include] : include) {
    if (glob.startsWith('!')) continue
    const base = globBase(root, glob)
    const existing = nearestExisting(base.dir)
    if (base.deep && existing === base.dir) walk(existing, dirs)
    else dirs.add(existing)
  }
  const outputs = new Set([serverOutFile, clientOutFile])
  return {
    dirs,
    triggeredBy: (file) => {
      if (outputs.has(file)) return false
      if (programFiles.has(file) || file === tsConfigFile || sourceFile.test(file) || dirs.has(file)) return true
      return isDirectory(file)
    },
  }
}

/**
 * The directory a glob starts from, and whether it may match below that directory's own entries:
 * `src/routes/**\/*.ts` → src/routes, deep; `src/*.ts` → src, shallow; `a/{b,c}/x.ts` → a, deep.
 */
export function globBase(root: string, glob: string): { dir: string; deep: boolean } {
  const segments = glob.split('/')
  const magic = segments.findIndex((segment) => /[*?[\]{}()!+@]/.test(segment))
  if (magic === -1) return { dir: path.resolve(root, path.dirname(glob)), deep: false }
  const rest = segments.slice(magic)
  return { dir: path.resolve(root, ...segments.slice(0, magic)), deep: rest.length > 1 || (rest[0] ?? '').includes('**') }
}

function nearestExisting(dir: string): string {
  let current = dir
  while (!isDirectory(current)) {
    const parent = path.dirname(current)
    if (parent === current) break
    current = parent
  }
  return current
}

function walk(dir: string, into: Set<string>) {
  into.add(dir)
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const entry of entries) {
    if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path.join(dir, entry.name), into)
  }
}

function inode(dir: string): number | undefined {
  try {
    return statSync(dir).ino
  } catch {
    return undefined
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory()
  } catch {
    return false
  }
}
