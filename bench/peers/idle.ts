/**
 * Idle connections: opens `idleConnections` plain `ws` connections to a peer, each as far as its
 * protocol needs to count as connected, and keeps them idle. Plain `ws` rather than each peer's
 * client library, so that the load process can hold thousands cheaply; the server cannot tell the
 * difference. Socket.IO needs its Engine.IO handshake: the server opens with `0{…}`, the client
 * connects to the main namespace with `40`, the server answers `40{"sid":…}`; pings (`2`) get `3`.
 */
import { WebSocket } from 'ws'
import type { PeerName } from './protocol.js'
import { pooled, within } from './workloads.js'

function endpoint(peer: PeerName, url: string): string {
  const base = url.replace(/^http/, 'ws')
  if (peer === 'socket.io') return `${base}socket.io/?EIO=4&transport=websocket`
  if (peer === 'bare' || peer === 'bare-coalesced' || peer === 'wirerpc') return `${base}ws`
  return base
}

function openOne(peer: PeerName, address: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(address, { perMessageDeflate: false })
    ws.once('error', reject)
    if (peer !== 'socket.io') return void ws.once('open', () => resolve(ws))
    ws.on('message', (data) => {
      const text = data.toString()
      if (text.startsWith('0')) ws.send('40')
      else if (text.startsWith('40')) resolve(ws)
      else if (text === '2') ws.send('3')
    })
  })
}

export interface IdleConnections {
  readonly count: number
  readonly connectMs: number
  close(): void
}

export async function openIdle(peer: PeerName, url: string, count: number): Promise<IdleConnections> {
  const address = endpoint(peer, url)
  const start = performance.now()
  const sockets = await within(
    pooled(Array.from({ length: count }), 100, () => openOne(peer, address)),
    120,
    `connections: ${count} connections to ${peer} not open`,
  )
  const connectMs = performance.now() - start
  let closed = 0
  for (const ws of sockets) ws.on('close', () => closed++)
  // Let the server settle (deferred per-connection work), then make sure none was dropped.
  await new Promise((resolve) => setTimeout(resolve, 500))
  if (closed > 0) throw new Error(`connections: ${closed} of ${count} connections to ${peer} closed while idle.`)
  return { count, connectMs, close: () => sockets.forEach((ws) => ws.terminate()) }
}
