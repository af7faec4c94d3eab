// Messages: the history over HTTP (paginated), sending over the WebSocket, new ones as a subscription.
import { paginate, type t, type WsContext } from 'wirerpc/service'
import { withUser } from '../identify.js'
import { addMessage, history, newMessages, type Message } from '../store.js'

/** The history, oldest first, a page at a time; the previous page holds older messages. */
export const listMessages = withUser('/messages').get(async function* ({ before, limit = 50 }: { before?: number; limit?: number & t.Minimum<1> & t.Maximum<200> }) {
  const { page, hasOlder } = history(before, limit)
  yield* page
  return paginate(this, { prev: hasOlder ? { before: page[0]!.id, limit } : null, next: null })
})

/** Posts a message to the room; everyone subscribed to `messages` receives it. */
export const sendMessage = withUser.ws(async (text: string & t.MinLength<1> & t.MaxLength<500>, ctx: WsContext & { user: string }): Promise<Message> => {
  return addMessage(ctx.user, text)
})

/** Every message posted from now on. */
export const messages = withUser.ws(async function* (ctx: WsContext & { user: string }) {
  yield* newMessages.subscribe(ctx.signal)
})
