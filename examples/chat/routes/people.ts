// People: who is online and who is typing (a subscription, fed by the typing notifications), and
// one user's profile, over HTTP or the WebSocket.
import { NotFoundError, type WsContext } from 'wirerpc/service'
import { withUser } from '../identify.js'
import { userTopic } from './messages.js'
import { getUser as findUser, openView, presence as currentPresence, presenceChanges, setTyping, type User } from '../store.js'

/** "I am typing" (or stopped): a notification, nothing comes back. Lasts 4 s unless renewed. */
export const typing = withUser.ws(async (isTyping: boolean, ctx: WsContext & { user: string }) => {
  setTyping(ctx.user, isTyping)
})

/**
 * Who is online and who is typing: the current state, then every change. The caller counts as
 * online while subscribed, and its connection receives the caller's mentions (`mentioned`).
 */
export const presence = withUser.ws(async function* (ctx: WsContext & { user: string }) {
  const changes = presenceChanges(ctx.signal)
  // Joined for as long as this subscription runs: after a reconnect, the client resubscribes and so joins again.
  ctx.defer(ctx.connection.join(userTopic(ctx.user)))
  const leave = openView(ctx.user)
  try {
    yield currentPresence()
    for await (const change of changes) yield change.value
  } finally {
    leave()
  }
})

/** One user, by name. */
export const getUser = withUser.ws(async (name: string): Promise<User> => {
  const user = findUser(name)
  if (!user) throw new NotFoundError(`Nobody called "${name}" has been here.`)
  return user
})

/** The same over HTTP: `GET /api/users/:name`. */
export const getUserProfile = withUser('/users/:name').get(async (name: string) => {
  const user = findUser(name)
  if (!user) throw new NotFoundError(`Nobody called "${name}" has been here.`)
  return user
})
