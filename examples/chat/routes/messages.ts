// Messages: the history over HTTP (paginated), sending over the WebSocket, new ones as a subscription.
import { paginate, pushEvent, tracked, type t, type WsContext } from 'wirerpc/service'
import { withUser } from '../identify.js'
import { addMessage, history, type Message } from '../store.js'

/** The PubSub topic of new messages: shared by every instance when the server runs on Redis. */
const TOPIC = 'chat:messages'

/** The history, oldest first, a page at a time; the previous page holds older messages. */
export const listMessages = withUser('/messages').get(async function* ({ before, limit = 50 }: { before?: number; limit?: number & t.Minimum<1> & t.Maximum<200> }) {
  const { page, hasOlder } = history(before, limit)
  yield* page
  return paginate(this, { prev: hasOlder ? { before: page[0]!.id, limit } : null, next: null })
})

/** Someone wrote `@you` in a message: pushed to you, on whichever instance your page is connected to. */
export const mentioned = pushEvent<{ by: string; text: string }>('mentioned')

/** The PubSub topic that a user's pages join (in `presence`) to receive their mentions. */
export const userTopic = (user: string) => `user:${user}`

/** Posts a message to the room; everyone subscribed to `messages` receives it, and everyone it `@mentions` a push. */
export const sendMessage = withUser.ws(async (text: string & t.MinLength<1> & t.MaxLength<500>, ctx: WsContext & { user: string }): Promise<Message> => {
  const message = addMessage(ctx.user, text)
  await ctx.pubsub.publish(TOPIC, message)
  const names = new Set([...text.matchAll(/@([\w-]+)/g)].map((match) => match[1]!))
  names.delete(ctx.user)
  for (const name of names) await mentioned.publish(ctx.pubsub, userTopic(name), { by: ctx.user, text })
  return message
})

/**
 * Every message posted from now on, through the server's PubSub. Tracked: a page that reconnects
 * (to this instance or another) gets what it missed, or a ResyncRequiredError.
 */
export const messages = withUser.ws(async function* (ctx: WsContext & { user: string }) {
  for await (const event of ctx.pubsub.subscribe<Message>(TOPIC, { signal: ctx.signal, lastEventId: ctx.lastEventId })) {
    yield tracked(event.id, event.value)
  }
})
