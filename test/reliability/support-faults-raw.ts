// A WebSocket client written by hand over a raw TCP socket, for what the `ws` package and our
// client will not do: read slowly at the TCP level (the socket stays paused, and is read a few
// bytes at a time on a timer, so the server's writes back up), and send malformed frames.
import { randomBytes } from 'node:crypto'
import net from 'node:net'

export interface RawWs {
  readonly socket: net.Socket
  /** Bytes read from the socket so far, the HTTP response included. */
  readonly bytesRead: number
  readonly closed: boolean
  /** Sends one masked text frame holding `message` (JSON-encoded unless a string). */
  send(message: unknown): void
  /** Sends bytes as they are (a malformed frame, for example). */
  sendRaw(bytes: Buffer): void
  /** Reads `bytesPerSecond` bytes a second, `ticksPerSecond` times a second; the socket stays paused in between. */
  readSlowly(bytesPerSecond: number, ticksPerSecond?: number): void
  /** Reads everything as it arrives. */
  readFast(): void
  close(): void
}

/** A masked (client) frame: FIN, `opcode`, `payload`. */
export function frame(payload: Buffer, opcode = 0x1, fin = true): Buffer {
  const mask = randomBytes(4)
  const length = payload.length
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10)
  header[0] = (fin ? 0x80 : 0) | opcode
  if (length < 126) header[1] = 0x80 | length
  else if (length < 65536) {
    header[1] = 0x80 | 126
    header.writeUInt16BE(length, 2)
  } else {
    header[1] = 0x80 | 127
    header.writeBigUInt64BE(BigInt(length), 2)
  }
  const masked = Buffer.from(payload)
  for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i & 3]!
  return Buffer.concat([header, mask, masked])
}

/** Opens a WebSocket to `ws://127.0.0.1:<port><path>` by hand; resolves after the 101 response. */
export async function connectRaw(port: number, path = '/ws'): Promise<RawWs> {
  const socket = net.connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  let bytesRead = 0
  let closed = false
  let timer: NodeJS.Timeout | undefined
  socket.on('error', () => {})
  socket.once('close', () => {
    closed = true
    clearInterval(timer)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await new Promise<void>((resolve, reject) => {
    let head = ''
    const onData = (chunk: Buffer) => {
      bytesRead += chunk.length
      head += chunk.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.off('data', onData)
      socket.pause()
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
      resolve()
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error('closed during the upgrade')))
  })
  const sendRaw = (bytes: Buffer) => {
    if (!socket.destroyed) socket.write(bytes)
  }
  return {
    socket,
    get bytesRead() {
      return bytesRead
    },
    get closed() {
      return closed
    },
    send(message) {
      sendRaw(frame(Buffer.from(typeof message === 'string' ? message : JSON.stringify(message))))
    },
    sendRaw,
    readSlowly(bytesPerSecond, ticksPerSecond = 10) {
      clearInterval(timer)
      socket.pause()
      const perTick = Math.max(1, Math.round(bytesPerSecond / ticksPerSecond))
      timer = setInterval(() => {
        const available = socket.readableLength
        if (available === 0) {
          socket.read(0) // asks the stream to fill its buffer again
          return
        }
        const chunk = socket.read(Math.min(perTick, available)) as Buffer | null
        if (chunk) bytesRead += chunk.length
      }, 1000 / ticksPerSecond)
    },
    readFast() {
      clearInterval(timer)
      socket.on('data', (chunk: Buffer) => void (bytesRead += chunk.length))
      socket.resume()
    },
    close() {
      clearInterval(timer)
      socket.destroy()
    },
  }
}
