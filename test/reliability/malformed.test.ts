// Malformed traffic in volume (docs/reliability.md, "Malformed traffic"): many connections send
// frames and envelopes of every malformed kind, mixed at random (seeded), while a canary
// connection calls getUserData every few ms. The server runs in a child process that counts
// unhandled rejections and uncaught exceptions. Every malformed message that has a readable id is
// answered once with its documented code (docs/protocol.md, "Error codes"); the ones whose id
// cannot be read are answered with `id: null` and the documented code, as many as were sent; no
// frame goes unexplained; every canary is answered correctly; the server is alive at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { MODE, percentile, record, size } from './harness.js'
import { startServerProcess, type ServerChild } from './support-process.js'
import { closeOf, MiB, openSocket, random, sleep, tally, until } from './support-util.js'

const FRAMES = size(5_000, 100_000)
const CONNECTIONS = size(10, 50)
/** Frames of exactly maxMessageSize (handled) and of maxMessageSize + 1 (closed with 1009). */
const AT_LIMIT = size(2, 10)
const OVER_LIMIT = size(2, 10)
const MAX_MESSAGE_SIZE = MiB
const SEED = Number(process.env['RELIABILITY_SEED'] ?? 20_240_611)
const CANARY_EVERY_MS = 3

/** What the server must answer to one message with a readable id. */
type Expected = { code: number; path?: true } | { result: unknown }

interface Frame {
  data: string | Uint8Array
  binary: boolean
  kind: string
  /** Answers expected by id. */
  byId: [string, Expected][]
  /** Codes of the errors expected with `id: null` (ids that cannot be read). */
  nullCodes: number[]
  /** Ids whose answers must come inside one array frame (a batch). */
  batched?: string[]
  /** Ids that must never be answered (the messages of a refused batch). */
  never?: string[]
}

const user = (id: string) => ({ id, name: `user ${id}` })
const request = (id: unknown, method: unknown, params?: unknown, extra: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }), ...extra })

/** A generator of malformed frames for one connection (ids are unique per connection). */
function traffic(rng: ReturnType<typeof random>, prefix: string) {
  let n = 0
  const nextId = () => `${prefix}-${++n}`

  /** One message (for a batch or alone) with its expectation; `undefined` id: a notification. */
  const message = (): { value: unknown; text?: string; id?: string; expected?: Expected; nullCode?: number } => {
    const id = nextId()
    switch (rng.weighted({ valid: 3, wrongJsonrpc: 2, badId: 2, paramsObject: 2, unknownMethod: 2, dollar: 1, pollution: 2, notification: 1 })) {
      case 'valid':
        return { value: request(id, 'getUserData', [id]), id, expected: { result: user(id) } }
      case 'wrongJsonrpc': {
        const version = rng.pick<unknown>(['1.0', '2', 2, 2.0, null, '', ' 2.0', '2.0\u0000', ['2.0'], {}, undefined])
        return { value: { ...request(id, 'getUserData', [id]), jsonrpc: version }, id, expected: { code: -32600 } }
      }
      case 'badId':
        return { value: request(rng.pick<unknown>([null, 1.5, -0.5, true, false, {}, [], [1], { id: 1 }, 2 ** 53, -(2 ** 53), 1e300, 2 ** 60]), 'getUserData', ['x']), nullCode: -32600 }
      case 'paramsObject':
        return { value: request(id, rng.pick(['getUserData', 'logEvent', 'slow', 'subscribeToUpdates']), rng.pick<unknown>([{}, { 0: 'x' }, { userId: 'x' }, { 0: 'x', length: 1 }, 'x', 5, null, true])), id, expected: { code: -32602 } }
      case 'unknownMethod':
        return { value: request(id, rng.pick(['nope', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'GETUSERDATA', 'getUserData ', 'ns.getUserData', `x${rng.text(8)}`])), id, expected: { code: -32601 } }
      case 'dollar':
        return { value: request(id, rng.pick(['$/', '$/next', '$/junk', '$/__proto__', '$/constructor', `$/${rng.text(6)}`]), rng.pick<unknown>([undefined, [], { id: 1 }, 'x'])), id, expected: { code: -32601 } }
      case 'pollution': {
        const text = `{"jsonrpc":"2.0","id":"${id}","method":"logEvent","params":["polluted",${polluting(rng)}]}`
        return { value: JSON.parse(text), text, id, expected: { code: -32602, path: true } }
      }
      default:
        // Notifications are never answered, whether the method exists or not; a $/cancel of junk does nothing.
        return rng.pick([
          { value: { jsonrpc: '2.0', method: 'logEvent', params: ['notification', n] } },
          { value: { jsonrpc: '2.0', method: 'nope', params: [] } },
          { value: { jsonrpc: '2.0', method: '$/cancel', params: rng.pick<unknown>([{ id: 'unknown' }, { id: { __proto__: null } }, [], 'x', null, { id: [1] }]) } },
          { value: { jsonrpc: '2.0', method: '$/junk' } },
        ])
    }
  }

  const one = (kind: string, parts: ReturnType<typeof message>): Frame => ({
    data: parts.text ?? JSON.stringify(parts.value),
    binary: false,
    kind,
    byId: parts.id && parts.expected ? [[parts.id, parts.expected]] : [],
    nullCodes: parts.nullCode ? [parts.nullCode] : [],
  })

  return (): Frame => {
    const kind = rng.weighted({
      notJson: 6,
      truncated: 6,
      binary: 4,
      envelope: 30,
      hugeId: 3,
      emptyBatch: 2,
      oversizedBatch: 2,
      mixedBatch: 8,
      topLevelProto: 2,
      deepNesting: 1,
      nearDepth: 2,
    })
    switch (kind) {
      case 'notJson': {
        const text = rng.pick(['', ' ', 'x', '{', '}', '{"a":}', "{'jsonrpc':'2.0'}", 'undefined', 'NaN', '[1,]', '{"jsonrpc":"2.0",}', '\u0000', `garbage ${rng.text(rng.int(0, 200))}`])
        return { data: text, binary: false, kind, byId: [], nullCodes: [-32700] }
      }
      case 'truncated': {
        const text = JSON.stringify(request(nextId(), 'getUserData', [rng.text(rng.int(0, 50))]))
        return { data: text.slice(0, rng.int(1, text.length - 1)), binary: false, kind, byId: [], nullCodes: [-32700] }
      }
      case 'binary': {
        const bytes = new Uint8Array(rng.int(0, 256)).map(() => rng.int(0, 255))
        // Binary frames are refused whatever they hold, valid JSON-RPC included.
        const data = rng.next() < 0.3 ? new TextEncoder().encode(JSON.stringify(request(nextId(), 'getUserData', ['b']))) : bytes
        return { data, binary: true, kind, byId: [], nullCodes: [-32700] }
      }
      case 'hugeId': {
        const id = `${nextId()}-${'h'.repeat(Math.round(2 ** rng.int(10, 16) * (0.5 + rng.next())))}`
        const known = rng.next() < 0.5
        return one(kind, { value: request(id, known ? 'getUserData' : 'nope', known ? ['huge'] : undefined), id, expected: known ? { result: user('huge') } : { code: -32601 } })
      }
      case 'emptyBatch':
        return { data: '[]', binary: false, kind, byId: [], nullCodes: [-32600] }
      case 'oversizedBatch': {
        const ids = Array.from({ length: rng.int(51, 120) }, () => nextId())
        return { data: JSON.stringify(ids.map((id) => request(id, 'getUserData', [id]))), binary: false, kind, byId: [], nullCodes: [-32600], never: ids }
      }
      case 'mixedBatch': {
        const parts = Array.from({ length: rng.int(1, 49) }, message)
        // A batch of only notifications gets no frame at all: keep one request in each.
        const ping = nextId()
        if (!parts.some((part) => part.id && part.expected)) parts.push({ value: request(ping, '$/ping'), id: ping, expected: { result: 'pong' } })
        const byId = parts.filter((part) => part.id && part.expected).map((part): [string, Expected] => [part.id!, part.expected!])
        return {
          data: `[${parts.map((part) => part.text ?? JSON.stringify(part.value)).join(',')}]`,
          binary: false,
          kind,
          byId,
          nullCodes: parts.filter((part) => part.nullCode).map((part) => part.nullCode!),
          batched: byId.map(([id]) => id),
        }
      }
      case 'topLevelProto': {
        // Prototype-polluting keys in the envelope itself are ignored: the call runs as if they were absent.
        const id = nextId()
        const junk = rng.pick(['"__proto__":{"method":"slow","params":[5000]}', '"constructor":{"prototype":{"polluted":true}}', '"__proto__":null'])
        return { data: `{"jsonrpc":"2.0","id":"${id}",${junk},"method":"getUserData","params":["${id}"]}`, binary: false, kind, byId: [[id, { result: user(id) }]], nullCodes: [] }
      }
      case 'deepNesting': {
        const levels = 100_000
        const text = rng.pick([
          '['.repeat(levels),
          '['.repeat(levels) + ']'.repeat(levels),
          '{"a":'.repeat(levels / 5),
          `{"jsonrpc":"2.0","id":"${nextId()}","method":"logEvent","params":["deep",${'['.repeat(levels)}${']'.repeat(levels)}]}`,
        ])
        return { data: text, binary: false, kind, byId: [], nullCodes: [-32600] }
      }
      case 'nearDepth': {
        // Around maxDepth (64): the envelope and params take two levels.
        const id = nextId()
        const levels = rng.int(55, 64)
        const text = `{"jsonrpc":"2.0","id":"${id}","method":"logEvent","params":["near",${'['.repeat(levels)}${']'.repeat(levels)}]}`
        return levels + 2 > 64 ? { data: text, binary: false, kind, byId: [], nullCodes: [-32600] } : { data: text, binary: false, kind, byId: [[id, { result: null }]], nullCodes: [] }
      }
      default:
        return one(kind, message())
    }
  }
}

/** JSON text holding `__proto__` or `constructor.prototype` at a random depth (1–20), in objects and arrays. */
function polluting(rng: ReturnType<typeof random>): string {
  let text = rng.pick(['{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"ok":1,"__proto__":[]}'])
  for (let depth = rng.int(0, 19); depth > 0; depth--) text = rng.next() < 0.5 ? `[${text}]` : `{"k${depth}":${text}}`
  return text
}

/** A request of exactly `bytes` bytes: logEvent with an array of zeros, padded with spaces. */
function arrayRequest(id: string, bytes: number): string {
  const head = `{"jsonrpc":"2.0","id":"${id}","method":"logEvent","params":["array",[`
  const tail = ']]}'
  const count = Math.floor((bytes - head.length - tail.length + 1) / 2)
  const text = head + Array(count).fill('0').join(',') + tail
  return text + ' '.repeat(bytes - text.length)
}

interface Peer {
  socket: WebSocket
  expected: Map<string, Expected>
  batched: Set<string>
  never: Set<string>
  answered: Map<string, number>
  nullExpected: Record<string, number>
  nullReceived: Record<string, number>
  closed?: number
}

const problems: string[] = []
const codes: Record<string, number> = {}
const problem = (text: string) => void (problems.length < 50 && problems.push(text))

function attach(socket: WebSocket): Peer {
  const peer: Peer = { socket, expected: new Map(), batched: new Set(), never: new Set(), answered: new Map(), nullExpected: {}, nullReceived: {} }
  socket.on('message', (data: Buffer, isBinary) => {
    if (isBinary) return problem('a binary frame from the server')
    let parsed: unknown
    try {
      parsed = JSON.parse(data.toString())
    } catch {
      return problem(`a frame that is not JSON: ${data.toString().slice(0, 200)}`)
    }
    const inArray = Array.isArray(parsed)
    for (const item of inArray ? (parsed as unknown[]) : [parsed]) check(peer, item as Record<string, any>, inArray)
  })
  socket.on('close', (code) => (peer.closed = code))
  return peer
}

function check(peer: Peer, message: Record<string, any>, inArray: boolean): void {
  const brief = () => JSON.stringify(message).slice(0, 300)
  if (message?.['jsonrpc'] !== '2.0' || !('id' in message)) return problem(`not a response: ${brief()}`)
  if ('error' in message) tally(codes, message['error']?.code)
  const { id } = message
  if (id === null) {
    if (!('error' in message)) return problem(`id null without an error: ${brief()}`)
    return tally(peer.nullReceived, message['error'].code)
  }
  if (peer.never.has(id)) return problem(`an answer to a message of a refused batch: ${brief()}`)
  const expected = peer.expected.get(id)
  if (!expected) return problem(`an answer for an id that expects none: ${brief()}`)
  const times = (peer.answered.get(id) ?? 0) + 1
  peer.answered.set(id, times)
  if (times > 1) return problem(`answered ${times} times: ${brief()}`)
  if (peer.batched.has(id) !== inArray) problem(`${inArray ? 'in' : 'outside'} a batch array, expected the opposite: ${brief()}`)
  if ('result' in expected) {
    if (JSON.stringify(message['result']) !== JSON.stringify(expected.result) || 'error' in message) problem(`expected result ${JSON.stringify(expected.result)}: ${brief()}`)
  } else if (message['error']?.code !== expected.code || typeof message['error']?.message !== 'string') {
    problem(`expected error ${expected.code}: ${brief()}`)
  } else if (expected.path && !(typeof message['error'].data?.path === 'string' && message['error'].data.path.startsWith('/1'))) {
    problem(`expected data.path into params[1]: ${brief()}`)
  }
}

const outstanding = (peer: Peer) => [...peer.expected.keys()].filter((id) => !peer.answered.has(id))
const nullsMatch = (peer: Peer) => JSON.stringify(sorted(peer.nullExpected)) === JSON.stringify(sorted(peer.nullReceived))
const sorted = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))

describe(`malformed traffic (${MODE}: ${FRAMES} frames over ${CONNECTIONS} connections)`, () => {
  let server: ServerChild
  beforeAll(async () => {
    // maxMessageRate is off and maxInFlight raised: this test is about malformed input, not rates
    // (limits.test.ts covers those); every frame is sent as fast as the sockets take them.
    server = await startServerProcess({ serve: { maxInFlight: 100_000, maxMessageRate: 0, shutdownTimeout: 1 } })
  })
  afterAll(async () => {
    await server?.kill()
  })

  it('answers every malformed message as documented, every canary correctly, and never crashes', { timeout: size(60_000, 900_000) }, async () => {
    const started = performance.now()
    const peers = await Promise.all(Array.from({ length: CONNECTIONS }, async () => attach(await openSocket(server.wsUrl))))

    // The canary: getUserData every few ms on its own connection, answered correctly each time.
    const canary = attach(await openSocket(server.wsUrl))
    const canarySent = new Map<string, number>()
    const canaryLatency: number[] = []
    canary.socket.on('message', (data: Buffer) => {
      const { id } = JSON.parse(data.toString()) as { id: string }
      const sent = canarySent.get(id)
      if (sent !== undefined) canaryLatency.push(performance.now() - sent)
    })
    let canaries = 0
    const canaryTimer = setInterval(() => {
      const id = `canary-${++canaries}`
      canary.expected.set(id, { result: user(id) })
      canarySent.set(id, performance.now())
      canary.socket.send(JSON.stringify(request(id, 'getUserData', [id])))
    }, CANARY_EVERY_MS)

    const kinds: Record<string, number> = {}
    let bytes = 0
    try {
      // Each connection sends its share in rounds, yielding between them; a socket whose buffer
      // is over 4 MiB waits for it to drain.
      const perConnection = Math.ceil(FRAMES / CONNECTIONS)
      const generators = peers.map((_, i) => traffic(random(SEED + i + 1), `m${i}`))
      for (let sent = 0; sent < perConnection; sent += 25) {
        for (const [i, peer] of peers.entries()) {
          for (let k = sent; k < Math.min(perConnection, sent + 25); k++) {
            const frame = generators[i]!()
            tally(kinds, frame.kind)
            for (const [id, expected] of frame.byId) peer.expected.set(id, expected)
            for (const code of frame.nullCodes) tally(peer.nullExpected, code)
            for (const id of frame.batched ?? []) peer.batched.add(id)
            for (const id of frame.never ?? []) peer.never.add(id)
            bytes += typeof frame.data === 'string' ? Buffer.byteLength(frame.data) : frame.data.length
            peer.socket.send(frame.data, { binary: frame.binary })
          }
          while (peer.socket.bufferedAmount > 4 * MiB) await sleep(5)
        }
        await new Promise((resolve) => setImmediate(resolve))
      }

      // 1 MiB arrays: exactly maxMessageSize is handled; one byte more closes its connection with 1009.
      for (let i = 0; i < AT_LIMIT; i++) {
        const peer = peers[i % peers.length]!
        const id = `at-limit-${i}`
        peer.expected.set(id, { result: null })
        const text = arrayRequest(id, MAX_MESSAGE_SIZE)
        expect(Buffer.byteLength(text)).toBe(MAX_MESSAGE_SIZE)
        bytes += MAX_MESSAGE_SIZE
        tally(kinds, 'arrayAtLimit')
        peer.socket.send(text)
      }
      const overClosed: number[] = []
      for (let i = 0; i < OVER_LIMIT; i++) {
        const victim = attach(await openSocket(server.wsUrl))
        victim.never.add(`over-limit-${i}`)
        const closed = closeOf(victim.socket)
        victim.socket.send(arrayRequest(`over-limit-${i}`, MAX_MESSAGE_SIZE + 1))
        bytes += MAX_MESSAGE_SIZE + 1
        tally(kinds, 'arrayOverLimit')
        overClosed.push((await closed).code)
      }
      expect(overClosed).toEqual(Array(OVER_LIMIT).fill(1009))

      // Every expected answer arrives (and the counts of id-null errors match what was sent).
      await until(
        () => peers.every((peer) => outstanding(peer).length === 0 && nullsMatch(peer)),
        size(30_000, 300_000),
        () => {
          const peer = peers.find((p) => outstanding(p).length > 0 || !nullsMatch(p)) ?? peers[0]!
          return `connection ${peers.indexOf(peer)}: ${outstanding(peer).length} unanswered (${outstanding(peer).slice(0, 3).join(', ')}); id-null errors expected ${JSON.stringify(sorted(peer.nullExpected))}, got ${JSON.stringify(sorted(peer.nullReceived))}; problems: ${problems.slice(0, 5).join(' | ')}`
        },
      )
    } finally {
      clearInterval(canaryTimer)
    }
    const sendSeconds = (performance.now() - started) / 1000
    await until(() => outstanding(canary).length === 0, 10_000, () => `${outstanding(canary).length} canaries unanswered`)
    // Late frames (a duplicate answer, a stray error) would show up now.
    await sleep(200)

    // The server is alive, counted nothing unhandled, and answers a new connection.
    expect(server.alive()).toBe(true)
    const stats = await server.stats()
    const fresh = attach(await openSocket(server.wsUrl))
    fresh.expected.set('fresh', { result: user('fresh') })
    fresh.socket.send(JSON.stringify(request('fresh', 'getUserData', ['fresh'])))
    await until(() => fresh.answered.get('fresh') === 1, 5000)

    const expectedAnswers = peers.reduce((sum, peer) => sum + peer.expected.size, 0)
    const nullAnswers = peers.reduce((sum, peer) => sum + Object.values(peer.nullReceived).reduce((a, b) => a + b, 0), 0)
    const canaryP99 = percentile(canaryLatency, 99)
    const frames = Object.values(kinds).reduce((a, b) => a + b, 0)
    console.info(
      `[malformed] ${frames} frames (${(bytes / MiB).toFixed(0)} MiB) over ${CONNECTIONS} connections in ${sendSeconds.toFixed(1)} s; ${expectedAnswers} answers by id, ${nullAnswers} with id null; ` +
        `errors by code ${JSON.stringify(sorted(codes))}; ${canaries} canaries (p99 ${canaryP99.toFixed(1)} ms); server: ${stats.unhandledRejections} unhandled rejections, ${stats.uncaughtExceptions} uncaught, ${stats.onError} onError; kinds ${JSON.stringify(kinds)}`,
    )

    expect(problems).toEqual([])
    expect(canary.closed).toBeUndefined()
    for (const peer of peers) expect(peer.closed).toBeUndefined()
    expect(outstanding(canary)).toEqual([])
    expect(stats.unhandledRejections).toBe(0)
    expect(stats.uncaughtExceptions).toBe(0)
    // The routes called here never throw: nothing reached onError.
    expect(stats.onError).toBe(0)
    expect(frames).toBeGreaterThanOrEqual(FRAMES)

    record('malformed', [
      {
        section: 'malformed traffic',
        test: 'random malformed frames and envelopes (seeded), with a canary connection',
        load: `${frames} frames (${(bytes / MiB).toFixed(0)} MiB: not JSON, truncated, binary, bad envelopes, huge ids, \`$/\` junk, empty/oversized/mixed batches, \`__proto__\`/\`constructor.prototype\` at depths 1–20, 100,000-level nesting, ${AT_LIMIT} arrays of exactly 1 MiB, ${OVER_LIMIT} of 1 MiB + 1 byte) over ${CONNECTIONS} connections in ${sendSeconds.toFixed(1)} s; seed ${SEED}`,
        result: `0 crashes (server alive, answers a new connection), ${stats.unhandledRejections} unhandled rejections, ${stats.uncaughtExceptions} uncaught exceptions; ${expectedAnswers}/${expectedAnswers} messages with a readable id answered once as documented (result or error code), ${nullAnswers}/${nullAnswers} id-null errors with the documented codes; errors by code: ${Object.entries(sorted(codes)).map(([code, count]) => `${code} ×${count}`).join(', ')}; ${OVER_LIMIT}/${OVER_LIMIT} over-size frames closed with 1009; ${canaries}/${canaries} canaries answered correctly (p99 ${canaryP99.toFixed(0)} ms)`,
      },
    ])
    await Promise.all([...peers, canary, fresh].map(async (peer) => {
      peer.socket.close()
      await closeOf(peer.socket)
    }))
  })
})
