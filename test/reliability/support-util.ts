// Small helpers shared by the reliability tests (malformed, limits, churn, shutdown).
import { once } from 'node:events'
import { WebSocket } from 'ws'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Resolves once `predicate()` holds, polling every `step` ms; rejects after `timeout` ms with `describe()`. */
export async function until(predicate: () => boolean, timeout: number, describe: () => string = () => predicate.toString(), step = 20): Promise<void> {
  const end = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`Condition not met within ${timeout} ms: ${describe()}`)
    await sleep(step)
  }
}

/** A seeded PRNG (mulberry32): the same seed gives the same traffic. */
export function random(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  /** Picks a key of `weights` with probability proportional to its weight. */
  const weighted = <K extends string>(weights: Record<K, number>): K => {
    const entries = Object.entries(weights) as [K, number][]
    let roll = next() * entries.reduce((sum, [, weight]) => sum + weight, 0)
    for (const [key, weight] of entries) if ((roll -= weight) < 0) return key
    return entries.at(-1)![0]
  }
  const text = (length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 {}[]":,\\') => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('')
  return { next, int, pick, weighted, text }
}

/** Resolves with the close code and reason of `socket` (code -1 when it was closed already). */
export async function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  if (socket.readyState === WebSocket.CLOSED) return { code: -1, reason: 'already closed' }
  const [code, reason] = (await once(socket, 'close')) as [number, Buffer]
  return { code, reason: reason.toString() }
}

/** Opens a raw `ws` socket and resolves once it is open. */
export async function openSocket(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
  const socket = new WebSocket(url, options)
  await once(socket, 'open')
  return socket
}

/** Adds one to `counts[key]`. */
export function tally(counts: Record<string, number>, key: string | number, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by
}

export const MiB = 2 ** 20
export const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
