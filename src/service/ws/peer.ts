/**
 * What an adapter gives the engine (src/service/ws/engine.ts): a socket as a small `WsPeer`, and
 * what it knows of the upgrade request. Each runtime's adapter implements these; the engine owns
 * the protocol and its policies (backpressure among them), the adapter only moves bytes.
 *
 * @module
 */

/** The engine's view of a socket, implemented by each adapter. */
export interface WsPeer {
  /**
   * Sends one message as a text frame: a string, or its UTF-8 bytes (a frame encoded once for many
   * sockets). `mergeable` marks a `$/next` or `$/push` notification, which the adapter may send in
   * one array frame with others of the same tick (docs/protocol.md, "Communication"); responses
   * always leave as frames of their own.
   */
  send(text: string | Uint8Array, mergeable?: boolean): void
  /** Closes the socket with a WebSocket close code and a reason. */
  close(code: number, reason: string): void
  /** Cuts the socket at once, without a close handshake (nothing queued is sent). */
  terminate(): void
  /** Stops reading the client's messages (the socket's backlog then holds the client back). */
  pauseReading(): void
  /** Reads the client's messages again. */
  resumeReading(): void
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number
  /** Calls `listener` once, when `bufferedAmount` has fallen (the socket drained). */
  onDrain(listener: () => void): void
}

/** What the adapter knows of the upgrade request. */
export interface WsUpgrade {
  /** The upgrade request (its URL and headers; it has no body). */
  request: Request
  /** The client's IP address; `''` when unknown. */
  ip: string
}
