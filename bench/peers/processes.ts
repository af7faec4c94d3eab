/**
 * The parent's side of the child processes: a peer server (its own process, `--expose-gc`, and
 * `--cpu-prof` when profiling) and a load process per workload, both forked with an IPC channel.
 * Every wait has a time limit, and every child is SIGKILLed when the parent exits.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { LoadReply, LoadRequest, LoadResult, PeerName, ServerReply, ServerRequest, Settings, Workload } from './protocol.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const children = new Set<ChildProcess>()
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')))

/** The server module of each peer, and its extra environment. */
const SERVERS: Record<PeerName, { script: string; env?: Record<string, string> }> = {
  bare: { script: 'servers/bare.ts', env: { PEER_COALESCE: '0' } },
  'bare-coalesced': { script: 'servers/bare.ts', env: { PEER_COALESCE: '1' } },
  wirerpc: { script: 'servers/wirerpc.ts' },
  'socket.io': { script: 'servers/socketio.ts' },
  trpc: { script: 'servers/trpc.ts' },
  'rpc-websockets': { script: 'servers/rpc-websockets.ts' },
}

/** `--cpu-prof` into `dir`, sampling every BENCH_PROF_INTERVAL µs (Node's default: 1000). */
function profileFlags(dir: string): string[] {
  return ['--cpu-prof', '--cpu-prof-interval', process.env['BENCH_PROF_INTERVAL'] ?? '1000', '--cpu-prof-dir', dir]
}

function start(script: string, execArgv: string[], env: Record<string, string> = {}): ChildProcess {
  // `--import tsx` runs the TypeScript sources as they are; `npm run bench` points tsx at bench/tsx.tsconfig.json, so `wirerpc/*` is the built dist/.
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** The next IPC message of `child` that `accept` takes, within `seconds`; rejects if the child exits first. */
function nextMessage<T, R>(child: ChildProcess, seconds: number, what: string, accept: (message: T) => R | undefined): Promise<R> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (message: T) => {
      const value = accept(message)
      if (value === undefined) return
      done()
      resolve(value)
    }
    const onExit = (code: number | null, signal: string | null) => (done(), reject(new Error(`${what}: the process exited (code ${code}, signal ${signal}).`)))
    const timer = setTimeout(() => (done(), reject(new Error(`${what}: no answer within ${seconds} s.`))), seconds * 1000)
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

async function stopChild(child: ChildProcess, graceMs: number, ask?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  if (ask) ask()
  else child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

export interface PeerServer {
  readonly url: string
  /** RSS and heap after a full GC, in bytes. */
  memory(): Promise<{ rss: number; heapUsed: number }>
  stop(): Promise<void>
}

export async function startServer(peer: PeerName, options: { cpuProfDir?: string } = {}): Promise<PeerServer> {
  const { script, env } = SERVERS[peer]
  const execArgv = ['--expose-gc', ...(options.cpuProfDir ? profileFlags(options.cpuProfDir) : [])]
  const child = start(script, execArgv, env)
  const send = (message: ServerRequest) => child.send(message)
  try {
    const port = await nextMessage(child, 30, `${peer} server start`, (m: ServerReply) => (m.type === 'listening' ? m.port : undefined))
    return {
      url: `http://127.0.0.1:${port}/`,
      async memory() {
        const answer = nextMessage(child, 30, `${peer} server memory`, (m: ServerReply) => (m.type === 'memory' ? m : undefined))
        send({ type: 'memory' })
        return answer
      },
      // A clean exit (not SIGKILL) lets --cpu-prof write its profile.
      stop: () => stopChild(child, 10_000, () => send({ type: 'stop' })),
    }
  } catch (error) {
    await stopChild(child, 1_000)
    throw error
  }
}

/** What the parent does at the two steps of the idle connections (it reads the server's memory). */
export interface IdleHooks {
  warmed(): Promise<void>
  opened(info: { connections: number; connectMs: number }): Promise<void>
}

/** Runs `workload` against the peer at `url` in a new load process, within `seconds`. */
export async function runLoad(peer: PeerName, workload: Workload, url: string, settings: Settings, seconds: number, hooks?: IdleHooks, cpuProfDir?: string): Promise<LoadResult> {
  const child = start('load.ts', cpuProfDir ? profileFlags(cpuProfDir) : [])
  const what = `${peer} ${workload}`
  const send = (message: LoadRequest) => child.send(message)
  try {
    const reply = nextMessage(child, seconds, what, (m: LoadReply) => m)
    send({ type: 'run', peer, workload, url, settings })
    let message = await reply
    if (message.type === 'warmed') {
      const opened = nextMessage(child, seconds, `${what} (opening)`, (m: LoadReply) => m)
      await hooks?.warmed()
      send({ type: 'continue' })
      message = await opened
    }
    if (message.type === 'opened') {
      const final = nextMessage(child, 60, `${what} (closing)`, (m: LoadReply) => m)
      await hooks?.opened(message)
      send({ type: 'close' })
      message = await final
    }
    if (message.type === 'error') throw new Error(`${what} failed in the load process:\n${message.message}`)
    if (message.type !== 'result') throw new Error(`${what}: unexpected message ${JSON.stringify(message)}.`)
    return message.result
  } finally {
    await stopChild(child, 2_000)
  }
}
