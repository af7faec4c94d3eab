// Raw HTTP over TCP, for requests no HTTP client would send: the bytes go out as given, and the
// answer is read up to the end of its first response (its length, a 101, or the server closing).
import { connect, type Socket } from 'node:net'

export interface RawAnswer {
  /** Status of the first response; 0 when none came. */
  status: number
  /** Everything received (latin1). */
  text: string
  /** The body of the first response (the part after its headers). */
  body: string
  /** Whether the server ended the connection by itself within the wait. */
  closedByServer: boolean
}

/** Opens a TCP connection to 127.0.0.1:`port`, resolving once connected. */
export function openTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/**
 * Sends `request` and reads the first response. `waitForClose`: also wait (up to `timeoutMs`) for
 * the server to end the connection. The socket is destroyed before this resolves.
 */
export async function rawExchange(port: number, request: string | Buffer, { timeoutMs = 3_000, waitForClose = false } = {}): Promise<RawAnswer> {
  const socket = await openTcp(port)
  socket.on('error', () => {})
  let text = ''
  let closedByServer = false
  const answer = await new Promise<RawAnswer>((resolve) => {
    const finish = () => {
      clearTimeout(timer)
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0)
      const split = text.indexOf('\r\n\r\n')
      resolve({ status, text, body: split < 0 ? '' : text.slice(split + 4), closedByServer })
    }
    const timer = setTimeout(finish, timeoutMs)
    socket.on('close', () => {
      closedByServer = true
      finish()
    })
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (!waitForClose && firstResponseComplete(text)) finish()
    })
    socket.write(request)
  })
  socket.destroy()
  return answer
}

/** Has `text` a whole first response: a 101, or headers and a body of the length they announce? */
export function firstResponseComplete(text: string): boolean {
  const split = text.indexOf('\r\n\r\n')
  if (split < 0) return false
  const head = text.slice(0, split)
  if (/^HTTP\/1\.1 101/.test(head)) return true
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)
  if (length) return text.length - split - 4 >= Number(length[1])
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) return text.endsWith('0\r\n\r\n')
  return false
}

/** A WebSocket upgrade request for `target`, with `headers` replacing or adding to the usual ones (`undefined` leaves one out). */
export function upgradeRequest(target: string, headers: Record<string, string | undefined> = {}, { method = 'GET', version = '1.1' } = {}): string {
  const all: Record<string, string | undefined> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  }
  const lines = Object.entries(all).flatMap(([name, value]) => (value === undefined ? [] : [`${name}: ${value}`]))
  return `${method} ${target} HTTP/${version}\r\n${lines.join('\r\n')}\r\n\r\n`
}
