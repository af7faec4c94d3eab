/**
 * Server push (docs/protocol.md, `$/push`): events a route module declares with `pushEvent`, sent
 * to one connection (`ctx.connection.push`) or broadcast to every connection that joined a topic
 * (`event.publish(pubsub, topic, value)`), across instances through the PubSub.
 *
 * Per engine, one PubSub subscription per topic that has local members, however many connections
 * joined it; each broadcast is serialized once and the same frame goes to every member.
 *
 * @module
 */
import { WsMethod } from '../../protocol/ws.js'
import type { PubSub } from '../pubsub/pubsub.js'

/** A server → client event that a route module declares: `export const mentioned = pushEvent<Mention>('mentioned')`. */
export interface PushEvent<TValue = unknown> {
  readonly protocol: 'push'
  /** The event's name on the wire; the generator reads it from the string literal given to `pushEvent`. */
  readonly name: string
  /**
   * Broadcasts `value` to every connection that joined `topic` (`ctx.connection.join(topic)`), on
   * every server instance sharing `pubsub`. At most once, in publish order per instance; resolves
   * with the PubSub event id once published.
   */
  publish(pubsub: PubSub, topic: string, value: TValue): Promise<string>
}

/** The broadcast's value in the PubSub: which event, and its value. */
interface Broadcast {
  readonly event: string
  readonly value: unknown
}

/** PubSub topics of broadcasts live under this prefix, apart from the app's own topics. */
export const PUSH_TOPIC_PREFIX = 'wirerpc:push:'

/**
 * Declares a push event. `name` (a string literal: the generator reads it) is its name on the
 * wire and must be unique among the push events of the app; `TValue` is the type of its value (JSON).
 */
export function pushEvent<TValue>(name: string): PushEvent<TValue> {
  if (typeof name !== 'string' || name === '') throw new TypeError(`pushEvent(name): the name must be a non-empty string, got ${JSON.stringify(name)}.`)
  return Object.freeze({
    protocol: 'push' as const,
    name,
    publish: (pubsub: PubSub, topic: string, value: TValue) => pubsub.publish(PUSH_TOPIC_PREFIX + topic, { event: name, value } satisfies Broadcast),
  })
}

/** The text of a `$/push` message. */
export function pushFrame(event: string, value: unknown, topic: string | undefined): string {
  const params = topic === undefined ? { event, value } : { event, topic, value }
  return JSON.stringify({ jsonrpc: '2.0', method: WsMethod.Push, params })
}

const UTF8 = new TextEncoder()

/** A connection as a topic sees it. */
export interface PushMember {
  /** Sends a `$/push` frame, as UTF-8 bytes (or drops it when the connection is behind). */
  deliver(frame: Uint8Array): void
}

interface TopicState {
  readonly members: Set<PushMember>
  readonly controller: AbortController
}

/** Wait (ms) before following a topic again after its PubSub subscription failed. */
const RETRY_MS = 1000

/** The topics that connections of one engine joined, each followed through one PubSub subscription. */
export class PushTopics {
  private readonly topics = new Map<string, TopicState>()

  constructor(
    private readonly pubsub: PubSub,
    private readonly report: (error: unknown) => void,
  ) {}

  join(topic: string, member: PushMember): void {
    let state = this.topics.get(topic)
    if (!state) {
      state = { members: new Set(), controller: new AbortController() }
      this.topics.set(topic, state)
      void this.follow(topic, state)
    }
    state.members.add(member)
  }

  leave(topic: string, member: PushMember): void {
    const state = this.topics.get(topic)
    if (!state?.members.delete(member) || state.members.size > 0) return
    this.topics.delete(topic)
    state.controller.abort()
  }

  /** Topics with at least one member (for tests and the log). */
  get size(): number {
    return this.topics.size
  }

  private async follow(topic: string, state: TopicState): Promise<void> {
    const { signal } = state.controller
    while (!signal.aborted) {
      try {
        for await (const event of this.pubsub.subscribe<Broadcast>(PUSH_TOPIC_PREFIX + topic, { signal })) {
          const broadcast = event.value
          if (typeof broadcast !== 'object' || broadcast === null || typeof broadcast.event !== 'string') continue
          // Serialised and encoded once, whatever the number of members.
          const frame = UTF8.encode(pushFrame(broadcast.event, broadcast.value, topic))
          for (const member of state.members) member.deliver(frame)
        }
      } catch (error) {
        // A subscriber that fell too far behind, or the PubSub failed: follow again from now.
        if (!signal.aborted) this.report(error)
      }
      if (!signal.aborted) await sleep(RETRY_MS, signal)
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done)
  })
}
