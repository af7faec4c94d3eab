// Runs a real redis-server for the tests: on a free port, in a temporary directory, with the
// append-only file on (fsync always), so that a restart on the same port and directory keeps
// the streams. No Redis on the machine is a failure with the fix, not a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** The running process's id (for CPU measurements). */
  readonly pid: number | undefined
  /** SIGTERM (Redis writes its append-only file and exits), then waits for the exit. */
  stop(): Promise<void>
  /** Starts it again on the same port and directory, and waits for PING. */
  start(): Promise<void>
  /** Stops it and removes its directory. */
  dispose(): Promise<void>
}

const BINARY = process.env['REDIS_SERVER'] ?? 'redis-server'

async function freePort(): Promise<number> {
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as net.AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** Resolves once the server answers PING with +PONG; rejects after `timeoutMs`. */
async function waitForPing(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (code ${child.exitCode}) before answering PING on port ${port}.`)
    const pong = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      let data = ''
      socket.setTimeout(500, () => socket.destroy())
      socket.on('connect', () => socket.write('PING\r\n'))
      socket.on('data', (chunk) => {
        data += String(chunk)
        if (data.includes('\r\n')) {
          socket.destroy()
          resolve(data.startsWith('+PONG'))
        }
      })
      socket.on('error', () => resolve(false))
      socket.on('close', () => resolve(false))
    })
    if (pong) return
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port} within ${timeoutMs} ms.`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * Starts redis-server on a free port. `persistent` (the default) keeps an append-only file synced on
 * every write, so that a restart keeps the streams; the benchmarks turn it off.
 */
export async function startRedisServer({ persistent = true }: { persistent?: boolean } = {}): Promise<RedisServer> {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(`The Redis tests need a redis-server binary (${BINARY}: ${probe.error?.message ?? probe.stderr}). Install it: apt-get install redis-server (or set REDIS_SERVER to its path).`)
  }
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'wirerpc-redis-'))
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  const persistence = persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--daemonize', 'no', '--loglevel', 'warning']
  const start = async () => {
    const current = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'inherit'] })
    child = current
    exited = new Promise<void>((resolve) => current.once('exit', () => resolve()))
    await waitForPing(port, current)
  }
  const stop = async () => {
    const current = child
    if (!current || current.exitCode !== null || current.signalCode !== null) return
    current.kill('SIGTERM')
    const timer = setTimeout(() => current.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid
    },
    stop,
    start,
    async dispose() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
