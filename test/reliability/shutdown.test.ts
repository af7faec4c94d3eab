// Graceful shutdown under load (docs/reliability.md, "Shutdown"; docs/protocol.md, "What happens
// to calls when a connection closes"): a server in a child process, with many clients of our typed
// client each running requests in loops (some slow, some longer than the deadline) and one
// subscription, plus raw clients that watch the wire, is sent SIGTERM; its script calls close()
// with shutdownTimeout 2 s. Every request is answered (a result, or -32001 for those still running
// at the deadline); every subscription ends with -32001 and the connection with 1001 (our client
// goes to `reconnecting`); the process exits within the deadline plus a margin; no call hangs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionOf, defineClient, NetworkError, WsRequestError } from 'wirerpc/client'
import { connect, type RawClient } from '../e2e/ws/helpers.js'
import * as api from '../client/ws/api.js'
import { MODE, record, size } from './harness.js'
import { startServerProcess, type ServerChild } from './support-process.js'
import { closeOf, sleep, tally, until } from './support-util.js'

const CLIENTS = size(50, 200)
const LOOPS_PER_CLIENT = 3
const RAW_CLIENTS = 5
const SHUTDOWN_TIMEOUT = 2
const LOAD_MS = size(1_500, 10_000)
/** Exit margin over the deadline: the process must also close its IPC and exit, on a shared machine. */
const EXIT_MARGIN_MS = 1_500

type Outcome = 'result' | '-32001' | 'NetworkError' | string

interface Call {
  before: boolean
  outcome?: Outcome
}

describe(`graceful shutdown under load (${MODE}: ${CLIENTS} clients)`, () => {
  let server: ServerChild
  beforeAll(async () => {
    server = await startServerProcess({ serve: { shutdownTimeout: SHUTDOWN_TIMEOUT, maxConnections: 10_000 } })
  })
  afterAll(async () => {
    await server?.kill()
  })

  it('answers every request, ends every subscription with -32001 and 1001, and exits within the deadline', { timeout: size(30_000, 120_000) }, async () => {
    const calls: Call[] = []
    const settled: Promise<unknown>[] = []
    let terminating = false
    const subscriptionOutcomes: Record<string, number> = {}
    let items = 0

    const clients = Array.from({ length: CLIENTS }, () => defineClient(api, { prefixUrl: server.url, timeout: 30 }))
    const states: string[][] = clients.map(() => [])
    for (const [k, client] of clients.entries()) connectionOf(client).onStateChange((state) => void states[k]!.push(state))

    for (const [k, client] of clients.entries()) {
      // One subscription each: half wait for the end, half yield every 2 ms.
      const subscription = k % 2 === 0 ? client.waitForCancel() : client.subscribeToUpdates(`t${k}`)
      settled.push(
        (async () => {
          try {
            for await (const _ of subscription) items++
            tally(subscriptionOutcomes, 'ended')
          } catch (error) {
            tally(subscriptionOutcomes, error instanceof NetworkError ? 'NetworkError' : String(error))
          }
        })(),
      )
      for (let loop = 0; loop < LOOPS_PER_CLIENT; loop++) {
        settled.push(
          (async () => {
            let n = 0
            // Stop once this connection is going away: a call made while reconnecting would wait for a server that is gone.
            while (connectionOf(client).state === 'open' || (connectionOf(client).state === 'connecting' && !terminating)) {
              const call: Call = { before: !terminating }
              calls.push(call)
              const roll = (k * 7 + loop * 13 + n++ * 31) % 100
              try {
                if (roll < 60) {
                  const user = await client.getUserData(`${k}-${n}`)
                  if (user.id !== `${k}-${n}`) throw new Error(`wrong answer ${JSON.stringify(user)}`)
                } else {
                  // Some longer than the deadline: those are answered -32001 when it comes.
                  const ms = roll < 95 ? 10 + (roll % 20) * 10 : 5_000
                  if ((await client.slow(ms)) !== ms) throw new Error('wrong answer')
                }
                call.outcome = 'result'
              } catch (error) {
                call.outcome = error instanceof WsRequestError ? String(error.code) : error instanceof NetworkError ? 'NetworkError' : `other: ${String(error)}`
                if (call.outcome !== 'result') break
              }
            }
          })(),
        )
      }
    }

    // Raw clients watch the wire: a subscription, a short and a long request each.
    const raws: RawClient[] = await Promise.all(Array.from({ length: RAW_CLIENTS }, () => connect(server.wsUrl)))
    const rawClosed = raws.map((raw) => closeOf(raw.socket))
    for (const raw of raws) raw.send({ jsonrpc: '2.0', id: 'sub', method: 'waitForCancel' })
    await Promise.all(raws.map((raw) => raw.waitFor((message) => message.params?.id === 'sub')))

    await sleep(LOAD_MS)
    await until(() => clients.every((client) => connectionOf(client).state === 'open'), 10_000)
    for (const raw of raws) {
      raw.send({ jsonrpc: '2.0', id: 'short', method: 'slow', params: [300] })
      raw.send({ jsonrpc: '2.0', id: 'long', method: 'slow', params: [5_000] })
    }
    await sleep(50)
    const before = await server.stats()
    const inFlightAtStart = calls.filter((call) => call.outcome === undefined).length

    const sigterm = performance.now()
    terminating = true
    const exit = await server.terminate()
    const exitMs = exit.at - sigterm

    // Every typed client saw its connection go (1001) and went to `reconnecting` (its subscription is kept to be sent again).
    await until(() => clients.every((client) => connectionOf(client).state === 'reconnecting'), 5_000, () => `states: ${JSON.stringify([...new Set(clients.map((client) => connectionOf(client).state))])}`)
    // Closing the clients ends the subscriptions they kept; then nothing may be left pending.
    for (const client of clients) connectionOf(client).close()
    const hung = await Promise.race([Promise.allSettled(settled).then(() => false), sleep(5_000).then(() => true)])
    const rawCloses = (await Promise.all(rawClosed)).map((close) => close.code)

    const outcomes: Record<string, number> = {}
    for (const call of calls) tally(outcomes, `${call.before ? 'before' : 'after'} SIGTERM: ${call.outcome ?? 'pending'}`)
    const rawAnswers = raws.map((raw) => ({
      sub: raw.messages.filter((message: any) => message.id === 'sub'),
      short: raw.messages.filter((message: any) => message.id === 'short'),
      long: raw.messages.filter((message: any) => message.id === 'long'),
    }))
    console.info(
      `[shutdown] ${CLIENTS} clients × ${LOOPS_PER_CLIENT} loops, ${calls.length} requests (${inFlightAtStart} in flight at SIGTERM), ${items} items; exit ${exit.code}/${exit.signal} after ${exitMs.toFixed(0)} ms (close() ${exit.closeMs} ms); ` +
        `outcomes ${JSON.stringify(outcomes)}; subscriptions ${JSON.stringify(subscriptionOutcomes)}; raw closes ${JSON.stringify(rawCloses)}; server before: ${before.connections} connections`,
    )

    expect(hung).toBe(false)
    expect(exit.code).toBe(0)
    expect(exit.closeMs).toBeDefined()
    // close() waited for the requests longer than the deadline, and no longer than it.
    expect(exit.closeMs!).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT * 1000 - 200)
    expect(exit.closeMs!).toBeLessThan(SHUTDOWN_TIMEOUT * 1000 + 500)
    expect(exitMs).toBeLessThan(SHUTDOWN_TIMEOUT * 1000 + EXIT_MARGIN_MS)
    expect(before.unhandledRejections + before.uncaughtExceptions).toBe(0)
    expect(before.connections).toBe(CLIENTS + RAW_CLIENTS)

    // Requests made before SIGTERM: a result, or -32001 (running at the deadline, or arriving during the shutdown). Never silence, never a dropped connection.
    const beforeCalls = calls.filter((call) => call.before)
    expect(beforeCalls.filter((call) => call.outcome !== 'result' && call.outcome !== '-32001').map((call) => call.outcome)).toEqual([])
    expect(beforeCalls.filter((call) => call.outcome === '-32001').length).toBeGreaterThan(0)
    // Requests made after it (before the client saw the close): also answered, or rejected with a NetworkError by the client when the socket closed.
    expect(calls.filter((call) => !call.before && !['result', '-32001', 'NetworkError'].includes(call.outcome!)).map((call) => call.outcome)).toEqual([])
    // Every typed client went from open to reconnecting (1001 is not final), and every subscription ended when the client was closed.
    for (const seen of states) expect(seen).toContain('reconnecting')
    expect(subscriptionOutcomes).toEqual({ NetworkError: CLIENTS })

    // On the wire: the subscription answered -32001 first, the short request its result, the long one -32001, then close 1001.
    expect(rawCloses).toEqual(Array(RAW_CLIENTS).fill(1001))
    for (const [i, answers] of rawAnswers.entries()) {
      expect(answers.sub).toEqual([{ jsonrpc: '2.0', id: 'sub', error: { code: -32001, message: expect.any(String) } }])
      expect(answers.short).toEqual([{ jsonrpc: '2.0', id: 'short', result: 300 }])
      expect(answers.long).toEqual([{ jsonrpc: '2.0', id: 'long', error: { code: -32001, message: expect.any(String) } }])
      expect(raws[i]!.messages.indexOf(answers.sub[0])).toBeLessThan(raws[i]!.messages.indexOf(answers.short[0]))
    }

    const count = (outcome: string) => calls.filter((call) => call.outcome === outcome).length
    record('shutdown', [
      {
        section: 'shutdown',
        test: 'SIGTERM → server.close() under load (shutdownTimeout 2 s)',
        load: `${CLIENTS} typed clients × ${LOOPS_PER_CLIENT} request loops (getUserData, slow 10–200 ms, 5% slow 5 s) + 1 subscription each, ${RAW_CLIENTS} raw clients; ${(LOAD_MS / 1000).toFixed(1)} s of load, ${calls.length} requests, ${inFlightAtStart} in flight at SIGTERM`,
        result:
          `${count('result')} results, ${count('-32001')} answered -32001, ${count('NetworkError')} NetworkError (made after SIGTERM), 0 unanswered, 0 hung; ` +
          `${CLIENTS}/${CLIENTS} typed clients went to \`reconnecting\`; ${RAW_CLIENTS}/${RAW_CLIENTS} raw subscriptions answered -32001 before the requests, then close 1001; ` +
          `close() took ${exit.closeMs} ms, process exited after ${exitMs.toFixed(0)} ms (limit ${SHUTDOWN_TIMEOUT * 1000 + EXIT_MARGIN_MS} ms)`,
      },
    ])
  })
})
