/**
 * The runtime-neutral WebSocket engine (docs/protocol.md, docs/websocket.md).
 *
 * @module
 */
export { createWsEngine } from './engine.js'
export type { WsEngine, WsEngineOptions, WsPeer, WsUpgrade } from './engine.js'
export { pushEvent } from './push.js'
export type { PushEvent } from './push.js'
export type { WsConnection } from './connection-handle.js'
