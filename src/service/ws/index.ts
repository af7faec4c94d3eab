/**
 * The runtime-neutral WebSocket engine (docs/protocol.md, docs/websocket.md).
 *
 * @module
 */
export { createWsEngine } from './engine.js'
export type { WsEngine, WsEngineOptions, WsPeer, WsUpgrade } from './engine.js'
