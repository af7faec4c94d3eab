// Who is calling: the name the page chose, from the `x-chat-user` header (HTTP calls) or the
// `user` query parameter of the WebSocket URL (browsers cannot set headers on a WebSocket; the
// client sends it with `wsParams`). A demo stand-in for real authentication.
import { route, UnauthorizedError } from 'wirerpc/service'
import { seen } from './store.js'

const VALID_NAME = /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,23}$/u

export const withUser = route.use(async (ctx) => {
  const name = (ctx.request.headers.get('x-chat-user') ?? ctx.url.searchParams.get('user') ?? '').trim()
  if (!VALID_NAME.test(name)) {
    throw new UnauthorizedError('Pick a name of 1 to 24 letters, digits, spaces, dots, dashes or underscores (sent as `x-chat-user` or `?user=`).')
  }
  seen(name)
  return { define: { user: name } }
})
