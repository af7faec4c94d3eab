// The chat page: the generated client, in the browser. HTTP for the history, one WebSocket for
// everything live (sending, typing, new messages, presence, mentions pushed by the server), and
// the connection state on screen.
import { connectionOf, defineClient, ResyncRequiredError, type ConnectionState, type ResponseStream } from 'wirerpc/client'
import * as api from '../generated/client-api.js'

type Message = api.Message

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const STATE_TEXT: Record<ConnectionState, string> = {
  idle: 'not connected',
  connecting: 'connecting…',
  open: 'live',
  reconnecting: 'reconnecting…',
  closed: 'offline',
}
/** Seconds between two "typing" notifications while the user keeps typing. */
const TYPING_EVERY = 2

const nameInput = $<HTMLInputElement>('name')
nameInput.value = sessionStorage.getItem('chat-name') ?? `guest-${Math.floor(Math.random() * 9000 + 1000)}`

$<HTMLFormElement>('join-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const name = nameInput.value.trim()
  if (!name) return
  sessionStorage.setItem('chat-name', name)
  $('join-form').hidden = true
  $('chat').hidden = false
  $('me').textContent = name
  join(name)
})

function join(name: string): void {
  const client = defineClient(api, {
    prefixUrl: '/api/',
    headers: { 'x-chat-user': name }, // HTTP calls
    wsParams: { user: name }, // the WebSocket (browsers cannot send headers with it)
    wsPingInterval: 10,
    wsPongTimeout: 5,
  })
  const connection = connectionOf(client)
  const shown = new Map<number, HTMLLIElement>()
  let oldest: ResponseStream<Message> | undefined

  const status = $('status')
  connection.onStateChange((state, previous) => {
    status.dataset['state'] = state
    status.textContent = STATE_TEXT[state]
    // Messages sent while we were away: fetch the latest page again (shown ones are skipped).
    if (state === 'open' && previous === 'reconnecting') void loadLatest()
  })

  function show(message: Message): void {
    if (shown.has(message.id)) return
    const item = document.createElement('li')
    item.dataset['id'] = String(message.id)
    const user = Object.assign(document.createElement('span'), { className: 'user', textContent: message.user })
    const time = Object.assign(document.createElement('span'), { className: 'time', textContent: new Date(message.sentAt).toLocaleTimeString() })
    item.append(user, message.text, time)
    // Keep the list in id order: history pages can arrive after live messages.
    const next = [...shown.entries()].filter(([id]) => id > message.id).sort(([a], [b]) => a - b)[0]?.[1]
    $('messages').insertBefore(item, next ?? null)
    shown.set(message.id, item)
    item.scrollIntoView({ block: 'nearest' })
  }

  function showError(error: unknown): void {
    $('error').textContent = error instanceof Error ? error.message : String(error)
  }

  async function loadPage(page: ResponseStream<Message>): Promise<void> {
    for await (const message of page) show(message)
    oldest = page
    // The links come last, so they can be read once the page has been read to its end.
    $('older').hidden = page.previousPage() === null
  }

  async function loadLatest(): Promise<void> {
    await loadPage(client.listMessages({ limit: 50 })).catch(showError)
  }

  $('older').addEventListener('click', () => {
    const previous = oldest?.previousPage()
    if (previous) void loadPage(previous).catch(showError)
  })

  // Live messages, for as long as the page is open. After a drop the client resubscribes and the
  // server replays what was missed; when it no longer can (a restarted in-memory server), the
  // loop throws ResyncRequiredError: reload the latest page and follow again.
  void (async () => {
    for (;;) {
      try {
        for await (const message of client.messages()) show(message)
        return
      } catch (error) {
        if (!(error instanceof ResyncRequiredError)) throw error
        await loadLatest()
      }
    }
  })().catch(showError)

  void (async () => {
    for await (const { online, typing } of client.presence()) {
      $('online').replaceChildren(...online.map((user) => Object.assign(document.createElement('li'), { textContent: user })))
      const others = typing.filter((user) => user !== name)
      $('typing').textContent = others.length === 0 ? '' : `${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} typing…`
    }
  })().catch(showError)

  // Pushed by the server when someone writes @name: shown until the next one.
  client.mentioned.on(({ by, text }) => {
    $('mention').textContent = `${by} mentioned you: ${text}`
    $('mention').hidden = false
  })

  void loadLatest()

  const text = $<HTMLInputElement>('text')
  let lastTyping = 0
  text.addEventListener('input', () => {
    if (Date.now() - lastTyping < TYPING_EVERY * 1000) return
    lastTyping = Date.now()
    client.typing(true).catch(() => {}) // a lost "typing" does not matter
  })

  $<HTMLFormElement>('send-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const value = text.value.trim()
    if (!value) return
    text.value = ''
    lastTyping = 0
    $('error').textContent = ''
    client.sendMessage(value).then(show, showError)
  })
}
