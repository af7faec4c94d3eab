// Kill test of the single-instance setup without Redis (docs/scaling.md, "One instance that
// restarts"): one wirerpc server on a `createFilePubSub` journal publishes numbered events; it is
// killed (SIGKILL) every few seconds and started again on its port. Subscribers reconnect and
// resume with `$/resume`: each must end with every event from its first to the last, no gap, no
// duplicate (by number and by event id), and no ResyncRequiredError.
//
// Sizes (harness.ts): short inside `npm test`; full with RELIABILITY=full.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { killAllServers, spawnServer, type ServerProcess } from '../../bench/lib/spawn-server.js'
import { startSubscriber, stopSubscribers, type Subscriber } from '../redis/support-kill-subscriber.js'
import { MODE, percentile, record, size } from './harness.js'

const SUBSCRIBERS = size(20, 100)
const DURATION_MS = size(14_000, 30_000)
/** Between a restart and the next kill (a restart itself takes about 2 s: process start-up). */
const KILL_EVERY_MS = size(2_000, 3_000)
const RESTART_AFTER_MS = 500
/** Publishing time left after the last kill: a restart (≈ 2.5 s) and then events. */
const RESUME_MARGIN_MS = 4_500
const RATE = 50 // events per second
const TOPIC = 'numbers'
const script = new URL('./support-restart-server.ts', import.meta.url)
const dir = mkdtempSync(path.join(os.tmpdir(), 'wirerpc-restart-'))
const journal = path.join(dir, 'events.jsonl')

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let server: ServerProcess | undefined

afterAll(async () => {
  await server?.stop(2_000)
  killAllServers()
  rmSync(dir, { recursive: true, force: true })
}, 30_000)

it(`every subscriber gets the full sequence while the only instance is killed and restarted (${MODE})`, async () => {
  // The publisher runs from the server's start-up (the warm-up takes a few seconds) until `until`.
  const until = Date.now() + 3_000 + DURATION_MS
  const env = { JOURNAL: journal, TOPIC, RATE: String(RATE), TICK_UNTIL: String(until) }
  server = await spawnServer('restart', script, 60_000, env)
  const port = new URL(server.url).port
  const subscribers: Subscriber[] = []
  for (let i = 0; i < SUBSCRIBERS; i++) subscribers.push(startSubscriber(`http://127.0.0.1:${port}/`, TOPIC, {
      // The server is down for about a second at a time: retry at most every second.
      retry: { backoffLimit: 1 },
    }))

  try {
    // Every subscription live before the first kill: each has received an event.
    const warmUpDeadline = Date.now() + 60_000
    while (subscribers.some((subscriber) => subscriber.values.length === 0)) {
      if (Date.now() > warmUpDeadline) throw new Error('The subscriptions did not all start within 60 s.')
      await tick(50)
    }

    // Every subscriber holds an event from before the first kill: the newest event any of them has.
    const beforeKills = Math.max(...subscribers.map((subscriber) => subscriber.values.at(-1)!))
    // The killer: SIGKILL every KILL_EVERY_MS, start again on the same port RESTART_AFTER_MS later.
    const kills: { at: number; connections: number }[] = []
    // The last restart leaves events to come (RESUME_MARGIN_MS), so that every subscriber shows it resumed.
    while (Date.now() + KILL_EVERY_MS + RESUME_MARGIN_MS < until) {
      await tick(KILL_EVERY_MS)
      const at = Date.now()
      await server.kill()
      kills.push({ at, connections: SUBSCRIBERS })
      await tick(RESTART_AFTER_MS)
      server = await spawnServer('restart', script, 60_000, { ...env, PORT: port })
    }
    await tick(Math.max(0, until - Date.now()) + 200)

    // The last event is the journal's last line (the publisher has stopped).
    const lines = readFileSync(journal, 'utf8').trim().split('\n')
    const N = (JSON.parse(lines.at(-1)!) as [string, number, { n: number }])[2].n
    const settleDeadline = Date.now() + 30_000
    while (Date.now() < settleDeadline && subscribers.some((subscriber) => subscriber.error === undefined && subscriber.values.at(-1) !== N)) await tick(100)
    await tick(500)

    expect(subscribers.map((subscriber) => subscriber.error).filter((error) => error !== undefined)).toEqual([])
    for (const [i, subscriber] of subscribers.entries()) {
      const first = subscriber.values[0]!
      expect(subscriber.values, `subscriber ${i}`).toEqual(Array.from({ length: N - first + 1 }, (_, j) => first + j))
      const eventIds = subscriber.frames.map((frame) => frame.eventId)
      expect(new Set(eventIds).size, `subscriber ${i}: distinct event ids`).toBe(eventIds.length)
      expect(subscriber.reconnects, `subscriber ${i}: reconnects`).toBeGreaterThanOrEqual(kills.length)
      expect(subscriber.lostAt, `subscriber ${i}: resumed after its last loss`).toBeUndefined()
    }
    // They all joined before the first kill, so each holds every event published across the kills
    // (however long a loaded machine took to start them: no count of events is assumed).
    const latestStart = Math.max(...subscribers.map((subscriber) => subscriber.values[0]!))
    expect(kills.length).toBeGreaterThanOrEqual(2)
    expect(latestStart).toBeLessThanOrEqual(beforeKills)
    expect(N).toBeGreaterThan(beforeKills)

    const recoveries = subscribers.flatMap((subscriber) =>
      subscriber.resumed.map(({ lostAt, at }) => at - (kills.filter((kill) => kill.at <= lostAt).at(-1)?.at ?? lostAt)),
    )
    const deliveries = subscribers.reduce((sum, subscriber) => sum + subscriber.values.length, 0)
    const reconnects = subscribers.reduce((sum, subscriber) => sum + subscriber.reconnects, 0)
    const figures = { subscribers: SUBSCRIBERS, kills: kills.length, events: N, deliveries, reconnects, p50RecoveryMs: percentile(recoveries, 50), maxRecoveryMs: Math.max(...recoveries) }
    console.log(`[restart ${MODE}] ${JSON.stringify(figures)}`)
    record('restart-kill', [
      {
        section: 'scale-out',
        test: 'One instance without Redis (createFilePubSub journal), killed (SIGKILL) and restarted under subscribers',
        load: `1 instance, ${SUBSCRIBERS} subscribers, ${(DURATION_MS / 1000).toFixed(0)} s, ${kills.length} kills (one every ${KILL_EVERY_MS / 1000} s, restarted after ${RESTART_AFTER_MS / 1000} s + start-up), ${N} events at ${RATE}/s`,
        result: `every subscriber has every event from its first to the last (${deliveries} deliveries), 0 gaps, 0 duplicates, 0 resyncs; ${reconnects} reconnects; kill to resumed: p50 ${percentile(recoveries, 50)} ms, max ${Math.max(...recoveries)} ms`,
      },
    ])
  } finally {
    await stopSubscribers(subscribers)
  }
}, size(120_000, 240_000))
