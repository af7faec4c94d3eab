/** Each peer's client module, loaded on demand (a load process needs one of them). */
import type { PeerClientModule, PeerName } from '../protocol.js'

export const CLIENTS: Record<PeerName, () => Promise<PeerClientModule>> = {
  bare: () => import('./bare.js'),
  'bare-coalesced': () => import('./bare.js'),
  wirerpc: () => import('./wirerpc.js'),
  'socket.io': () => import('./socketio.js'),
  trpc: () => import('./trpc.js'),
  'rpc-websockets': () => import('./rpc-websockets.js'),
}
