// Starts test/reliability/fixtures/server.ts (the WebSocket test routes), or another fixture
// server, in a child process, so that a crash, a leak or a slow shutdown is the server's alone and
// can be observed from outside.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ServerStats } from './fixtures/server.js'

export type { ServerStats }

export interface ServerChild<Stats = ServerStats> {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string
  /** `ws://127.0.0.1:<port>/ws` */
  readonly wsUrl: string
  readonly pid: number
  /** Lines the server printed on stdout (the `listening` line aside). */
  readonly lines: string[]
  /** What the server wrote to stderr, when started `quiet` (else it is printed). */
  readonly errorOutput: string[]
  /** True while the process runs. */
  alive(): boolean
  /** The server's counters and resources (heap after gc() when started with `gc: true`). */
  stats(timeoutMs?: number): Promise<Stats>
  /** SIGTERM (the script calls `server.close()`); resolves once the process exited. */
  terminate(): Promise<Exit>
  /** SIGKILL, for cleanup. */
  kill(): Promise<void>
  /** Resolves when the process exits. */
  readonly exited: Promise<Exit>
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  /** When the process exited (performance.now() of this process). */
  at: number
  /** What `close()` took inside the server, from its `closed <ms>` line; undefined when it did not print one. */
  closeMs: number | undefined
}

const SCRIPT = fileURLToPath(new URL('./fixtures/server.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * `serve`: serve() options (JSON); `gc`: expose gc() for heap figures; `maxFiles`: the process's
 * limit of open files (`ulimit -n`), to see what runs out first. `script`: the fixture server to
 * run (default fixtures/server.ts), which prints `listening <url>` and answers `stats` over IPC.
 * `quiet`: keep its stderr in `errorOutput` instead of printing it.
 */
export async function startServerProcess<Stats = ServerStats>(
  options: { script?: string; serve?: Record<string, unknown>; gc?: boolean; maxFiles?: number; startTimeoutMs?: number; quiet?: boolean } = {},
): Promise<ServerChild<Stats>> {
  const nodeArgs = [...(options.gc ? ['--expose-gc'] : []), '--import', 'tsx', options.script ?? SCRIPT]
  const [command, args] =
    options.maxFiles === undefined ? [process.execPath, nodeArgs] : ['sh', ['-c', `ulimit -n ${options.maxFiles} && exec "$0" "$@"`, process.execPath, ...nodeArgs]]
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', SERVE_OPTIONS: JSON.stringify(options.serve ?? {}) },
    stdio: ['ignore', 'pipe', options.quiet ? 'pipe' : 'inherit', 'ipc'],
  })
  const lines: string[] = []
  const errorOutput: string[] = []
  child.stderr?.setEncoding('utf8').on('data', (text: string) => errorOutput.push(text))
  let closeMs: number | undefined
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now(), closeMs })))
  let seq = 0
  const waiting = new Map<number, (stats: Stats) => void>()
  child.on('message', (message: { type?: string; seq?: number; stats?: Stats }) => {
    if (message.type === 'stats' && message.seq !== undefined) waiting.get(message.seq)?.(message.stats!)
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('reliability server: no "listening" line in time')), options.startTimeoutMs ?? 30_000)
    void exited.then((exit) => reject(new Error(`reliability server exited before listening (${JSON.stringify(exit)})`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const listening = /^listening (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(line)
      if (listening) {
        clearTimeout(timer)
        return resolve(listening[1]!)
      }
      const closed = /^closed (\d+)$/.exec(line)
      if (closed) closeMs = Number(closed[1])
      lines.push(line)
    })
  })
  const alive = () => child.exitCode === null && child.signalCode === null
  return {
    url,
    wsUrl: `${url.replace('http', 'ws')}ws`,
    pid: child.pid!,
    lines,
    errorOutput,
    alive,
    exited,
    stats(timeoutMs = 10_000) {
      const id = ++seq
      return new Promise<Stats>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new Error(`reliability server: no stats within ${timeoutMs} ms (alive: ${alive()})`))
        }, timeoutMs)
        waiting.set(id, (stats) => {
          clearTimeout(timer)
          waiting.delete(id)
          resolve(stats)
        })
        child.send({ type: 'stats', seq: id })
      })
    },
    async terminate() {
      if (alive()) child.kill('SIGTERM')
      return exited
    },
    async kill() {
      if (alive()) child.kill('SIGKILL')
      await exited
    },
  }
}
