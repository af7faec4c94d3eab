// The well-behaved client of the attack tests: it calls getUserData every `everyMs` on its own
// connection while an attack runs, and says afterwards whether every call was answered correctly.
import { expect } from 'vitest'
import { WebSocket } from 'ws'
import type { ServerChild } from './support-process.js'
import { openSocket, until } from './support-util.js'

export interface CanaryResult {
  sent: number
  answered: number
  /** Calls answered with an error or a wrong result, or not answered by the end. */
  failed: number
  /** Slowest answer (ms). */
  worstMs: number
  /** Whether its connection stayed open throughout. */
  open: boolean
}

export interface Canary {
  /** Stops calling, waits up to `graceMs` for the answers still due, and reports. */
  stop(graceMs?: number): Promise<CanaryResult>
}

export async function startCanary(wsUrl: string, everyMs = 100): Promise<Canary> {
  const socket = await openSocket(wsUrl)
  const sent = new Map<number, number>()
  let answered = 0
  let failed = 0
  let worstMs = 0
  let open = true
  socket.on('close', () => (open = false))
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: { id?: string } }
    const at = message.id === undefined ? undefined : sent.get(message.id)
    if (at === undefined) return
    sent.delete(message.id!)
    worstMs = Math.max(worstMs, performance.now() - at)
    if (message.result?.id === `canary ${message.id}`) answered++
    else failed++
  })
  let n = 0
  const timer = setInterval(() => {
    if (socket.readyState !== WebSocket.OPEN) return
    n++
    sent.set(n, performance.now())
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: n, method: 'getUserData', params: [`canary ${n}`] }))
  }, everyMs)
  return {
    async stop(graceMs = 5_000) {
      clearInterval(timer)
      await until(() => sent.size === 0 || !open, graceMs).catch(() => {})
      const result = { sent: n, answered, failed: failed + sent.size, worstMs: Math.round(worstMs), open }
      socket.terminate()
      return result
    },
  }
}

/** `12/12 canaries answered (worst 31 ms)`, for the figures. */
export function canaryLine(result: CanaryResult): string {
  return `${result.answered}/${result.sent} canaries answered (worst ${result.worstMs} ms)`
}

/**
 * Runs `attack` while a canary calls `child`; asserts that the server survived (alive, no unhandled
 * rejection or uncaught exception) and answered every canary call, none slower than `worstMs`.
 */
export async function underAttack<T>(child: ServerChild, attack: () => Promise<T>, { worstMs = 2_000 } = {}): Promise<{ value: T; canary: string }> {
  const canary = await startCanary(child.wsUrl)
  const value = await attack()
  const result = await canary.stop()
  expect(child.alive()).toBe(true)
  expect(result).toMatchObject({ failed: 0, open: true })
  expect(result.answered).toBe(result.sent)
  expect(result.worstMs).toBeLessThan(worstMs)
  expect(await child.stats()).toMatchObject({ unhandledRejections: 0, uncaughtExceptions: 0 })
  return { value, canary: canaryLine(result) }
}
