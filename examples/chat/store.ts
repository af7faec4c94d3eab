// The chat's state, in memory (the embedded default: no database, no Redis). A restart empties it.
import { createMemoryPubSub, type PubSubEvent } from 'wirerpc/service'

export interface Message {
  id: number
  user: string
  text: string
  /** ISO 8601 */
  sentAt: string
}

export interface User {
  name: string
  /** ISO 8601: when the name was first seen. */
  firstSeen: string
  online: boolean
}

export interface Presence {
  /** Users with the chat open, sorted. */
  online: string[]
  /** Users typing right now, sorted. */
  typing: string[]
}

/** Messages kept for the history; older ones are forgotten. */
const MAX_MESSAGES = 1000
/** Seconds a "typing" notification lasts unless renewed. */
const TYPING_SECONDS = 4

const messages: Message[] = []
// Ids start from the boot time in ms, so that they keep growing across restarts: pages that stay
// open through one must not mistake new messages for ones they already show.
let lastId = Date.now()
const firstSeen = new Map<string, string>()
/** Open presence subscriptions per user: a user with the chat open in two tabs counts once. */
const openViews = new Map<string, number>()
const typing = new Map<string, ReturnType<typeof setTimeout>>()

/** Presence changes of this instance, for the `presence` subscriptions (kept per instance, no retention). */
const presenceBus = createMemoryPubSub({ retention: 0 })
const announce = () => void presenceBus.publish('presence', presence())

/** Every presence change from now on (registered at once), until `signal` aborts. */
export function presenceChanges(signal: AbortSignal): AsyncIterable<PubSubEvent<Presence>> {
  return presenceBus.subscribe<Presence>('presence', { signal })
}

export function seen(user: string): void {
  if (!firstSeen.has(user)) firstSeen.set(user, new Date().toISOString())
}

export function addMessage(user: string, text: string): Message {
  const message = { id: ++lastId, user, text, sentAt: new Date().toISOString() }
  messages.push(message)
  if (messages.length > MAX_MESSAGES) messages.shift()
  setTyping(user, false)
  return message
}

/** Up to `limit` messages older than id `before` (or the latest), oldest first. */
export function history(before: number | undefined, limit: number): { page: Message[]; hasOlder: boolean } {
  const end = before === undefined ? messages.length : messages.findIndex((message) => message.id >= before)
  const stop = end === -1 ? messages.length : end
  const start = Math.max(0, stop - limit)
  return { page: messages.slice(start, stop), hasOlder: start > 0 }
}

export function getUser(name: string): User | undefined {
  const first = firstSeen.get(name)
  return first === undefined ? undefined : { name, firstSeen: first, online: (openViews.get(name) ?? 0) > 0 }
}

export function presence(): Presence {
  return { online: [...openViews.keys()].sort(), typing: [...typing.keys()].sort() }
}

export function setTyping(user: string, isTyping: boolean): void {
  clearTimeout(typing.get(user))
  const was = typing.has(user)
  if (isTyping) typing.set(user, setTimeout(() => setTyping(user, false), TYPING_SECONDS * 1000))
  else typing.delete(user)
  if (was !== isTyping) announce()
}

/** Marks `user` online while the returned function has not been called. */
export function openView(user: string): () => void {
  openViews.set(user, (openViews.get(user) ?? 0) + 1)
  announce()
  return () => {
    const left = (openViews.get(user) ?? 1) - 1
    if (left > 0) openViews.set(user, left)
    else {
      openViews.delete(user)
      setTyping(user, false)
    }
    announce()
  }
}
