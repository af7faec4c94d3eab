// The page script of the browser test, bundled by esbuild for the browser (harness.ts maps
// `wirerpc/client` to the BUILT client, dist/client/index.js) and served as /api/app.js by the same
// server as the API, so the relative prefixUrl resolves against location.href and the WebSocket
// origin check passes. It runs the seed calls and exposes everything on `window.harness`.
import { connectionOf, defineClient, WsRequestError, type Client, type Subscription } from 'wirerpc/client'
import * as routes from '../../examples/basic/generated/client-api.js'
import type { LiveLog, PageApi, PageWindow, SeedResult, SeenError, StateChange, Update } from './page-api.js'

const OPTIONS = { prefixUrl: '/api/', wsPingInterval: 30, wsIdleTimeout: 300 }

const out = document.getElementById('out')!

/** Shows `lines` on the page, so that the screenshot tells what happened. */
function render(title: string, lines: string[]): void {
  out.textContent = [title, '', ...lines].join('\n')
}

function seen(error: unknown): SeenError {
  const { name = typeof error, message = String(error), code, data } = (typeof error === 'object' && error !== null ? error : {}) as Partial<SeenError>
  return { name, message, isWsRequestError: error instanceof WsRequestError, code, data }
}

function recordChanges(client: object, changes: StateChange[], onChange: () => void): void {
  connectionOf(client).onStateChange((state, previous) => {
    changes.push({ state, previous, at: Date.now() })
    onChange()
  })
}

const transitions = (changes: StateChange[]) => changes.map((change) => `${change.previous} → ${change.state}`).join(', ')

async function seed(): Promise<SeedResult> {
  const client = defineClient(routes, OPTIONS)
  const connection = connectionOf(client)
  const changes: StateChange[] = []
  const lines: string[] = []
  const show = (line: string) => {
    lines.push(line)
    render('Seed calls', lines)
  }
  recordChanges(client, changes, () => {})

  const logEvent: unknown = await client.logEvent('user_action', { userId: 123 })
  show(`logEvent('user_action', { userId: 123 }) → ${String(logEvent)}`)
  const userData = await client.getUserData('123')
  show(`getUserData('123') → ${JSON.stringify(userData)}`)
  const updates: Update[] = []
  for await (const update of client.subscribeToUpdates('user-events')) {
    updates.push(update)
    show(`subscribeToUpdates('user-events') → ${JSON.stringify(update)}`)
    if (updates.length === 2) break
  }
  let wrongCall: SeenError | undefined
  try {
    const answer = await client.getUserData(5 as never)
    show(`getUserData(5) → resolved?! ${JSON.stringify(answer)}`)
  } catch (error) {
    wrongCall = seen(error)
    show(`getUserData(5) → ${wrongCall.name} ${String(wrongCall.code)}: ${wrongCall.message}`)
  }
  const post = await client.getPost(1)
  show(`getPost(1) over HTTP → ${JSON.stringify(post)}`)
  show(`connection: ${connection.state}, pending ${connection.pending}; transitions: ${transitions(changes)}`)
  show(`user agent: ${navigator.userAgent}`)
  return {
    logEvent,
    userData,
    updates,
    wrongCall,
    post,
    state: connection.state,
    pending: connection.pending,
    changes,
    nativeWebSocket: typeof WebSocket === 'function' && /\[native code\]/.test(String(WebSocket)),
    hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
    userAgent: navigator.userAgent,
  }
}

const log: Omit<LiveLog, 'state'> = { items: [], changes: [], error: undefined, ended: false }
let live: { client: Client<typeof routes>; subscription: Subscription<Update>; loop: Promise<void> } | undefined

function renderLive(): void {
  const state = live ? connectionOf(live.client).state : 'idle'
  render('Live subscription (reconnect test)', [
    `connection: ${state}`,
    `transitions: ${transitions(log.changes)}`,
    `items: ${log.items.map((item) => item.seq).join(' ')}`,
    log.error ? `error: ${log.error.name}: ${log.error.message}` : 'error: none',
    `loop ended: ${log.ended}`,
  ])
}

function startLive(): void {
  if (live) throw new Error('startLive() was called twice')
  const client = defineClient(routes, OPTIONS)
  recordChanges(client, log.changes, renderLive)
  const subscription = client.subscribeToUpdates('user-events')
  const loop = (async () => {
    try {
      for await (const update of subscription) {
        log.items.push(update)
        renderLive()
      }
    } catch (error) {
      log.error = seen(error)
    } finally {
      log.ended = true
      renderLive()
    }
  })()
  live = { client, subscription, loop }
  renderLive()
}

async function stopLive(): Promise<void> {
  if (!live) return
  await live.subscription.return()
  await live.loop
  connectionOf(live.client).close()
  renderLive()
}

const harness: PageApi = {
  seed,
  startLive,
  stopLive,
  get live(): LiveLog {
    return { ...log, state: live ? connectionOf(live.client).state : 'idle' }
  },
}
;(window as unknown as PageWindow).harness = harness
render('Ready', ['window.harness is set'])
