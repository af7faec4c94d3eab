/**
 * Runs a benchmark server in its own Node process, so the load generator (this process) and the
 * server do not share an event loop, and waits for the `listening <url>` line it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export interface ServerProcess {
  readonly name: string
  /** Base URL with a trailing slash: `http://127.0.0.1:41234/`. */
  readonly url: string
  readonly pid: number | undefined
  /** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>
  /** SIGKILL at once: the process gets no chance to close anything (fault tests). */
  kill(): Promise<void>
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const running = new Set<ChildProcess>()

/** Kills every server still running; synchronous, so it works from a process `exit` handler. */
export function killAllServers(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

/**
 * Starts `script`, which must print `listening <url>` once ready. `env` adds to the environment
 * (the fault tests pass `PORT` to restart a server on the port it had).
 */
export async function spawnServer(name: string, script: URL, startTimeoutMs = 30_000, env: Record<string, string> = {}): Promise<ServerProcess> {
  // `--import tsx` runs the TypeScript sources as they are, like `npm run bench` itself.
  // stdin stays a pipe: the server exits when it closes, so a crashed parent leaves no orphan.
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  running.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => running.delete(child))
  const stop = async (graceMs = 5_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no "listening" line within ${startTimeoutMs} ms.`)), startTimeoutMs)
      child.once('exit', (code, signal) => reject(new Error(`${name}: exited before listening (code ${code}, signal ${signal}).`)))
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = /^listening (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(line)
        if (!match) return void console.log(`[${name}] ${line}`)
        clearTimeout(timer)
        resolve(match[1]!)
      })
    })
    const kill = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    }
    return { name, url, pid: child.pid, stop, kill }
  } catch (error) {
    await stop(1_000)
    throw error
  }
}
