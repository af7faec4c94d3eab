// A round-robin TCP proxy for the kill test: each new connection on 127.0.0.1:<port> goes to the
// next LIVE backend. A backend whose port refuses (its instance is dead or restarting) is skipped
// for the next one; when every backend refuses, the connection is held and the round tried again
// until `holdMs` has passed, then dropped. Bytes are piped both ways; when either end closes or
// fails, the other is destroyed, so a killed backend drops its clients at once.
import net from 'node:net'

export interface RoundRobinProxy {
  readonly port: number
  /** Connections accepted so far. */
  readonly accepted: number
  /** Backend connection attempts that were refused (or failed) and skipped. */
  readonly skipped: number
  /** Connections dropped because no backend accepted within `holdMs`. */
  readonly dropped: number
  /**
   * Connections open now, per backend port: from the moment the backend accepts TCP, so with
   * WebSocket handshakes still in flight and clients gone that the proxy has not noticed yet.
   */
  openTo(port: number): number
  /** The backend port of the open connection from client port `clientPort`, if any. */
  backendOf(clientPort: number | undefined): number | undefined
  /** Replaces the backend ports (instances restarting on other ports); open connections stay. */
  setBackends(ports: readonly number[]): void
  close(): Promise<void>
}

export async function startRoundRobinProxy(backends: readonly number[], options: { holdMs?: number; retryMs?: number } = {}): Promise<RoundRobinProxy> {
  const holdMs = options.holdMs ?? 15_000
  const retryMs = options.retryMs ?? 50
  let ports = [...backends]
  let next = 0
  let accepted = 0
  let skipped = 0
  let dropped = 0
  let closing = false
  const open = new Map<number, number>()
  /** Client port → backend port, for the connections piped now. */
  const routes = new Map<number, { port: number }>()
  const sockets = new Set<net.Socket>()

  /** Connects to the next live backend, trying each once per round; undefined when all refused. */
  const connectRound = async (): Promise<{ socket: net.Socket; port: number } | undefined> => {
    const round = ports.length
    for (let i = 0; i < round && !closing; i++) {
      const port = ports[next++ % ports.length]!
      const socket = await new Promise<net.Socket | undefined>((resolve) => {
        const attempt = net.connect({ port, host: '127.0.0.1' })
        const fail = () => {
          attempt.destroy()
          resolve(undefined)
        }
        attempt.once('error', fail)
        attempt.setTimeout(2_000, fail)
        attempt.once('connect', () => {
          attempt.removeListener('error', fail)
          attempt.setTimeout(0)
          resolve(attempt)
        })
      })
      if (socket) return { socket, port }
      skipped++
    }
    return undefined
  }

  const server = net.createServer((client) => {
    accepted++
    const clientPort = client.remotePort // read now: a closed socket no longer has it
    sockets.add(client)
    client.pause() // hold the client's bytes (its HTTP upgrade) until a backend is connected
    client.setNoDelay(true)
    let clientGone = false
    client.on('error', () => {})
    client.once('close', () => {
      clientGone = true
      sockets.delete(client)
    })
    void (async () => {
      const deadline = Date.now() + holdMs
      for (;;) {
        const found = await connectRound()
        if (found) {
          const { socket: backend, port } = found
          if (clientGone || closing) return void backend.destroy()
          sockets.add(backend)
          open.set(port, (open.get(port) ?? 0) + 1)
          const route = { port }
          if (clientPort !== undefined) routes.set(clientPort, route)
          backend.setNoDelay(true)
          backend.on('error', () => {})
          backend.once('close', () => {
            sockets.delete(backend)
            open.set(port, open.get(port)! - 1)
            if (clientPort !== undefined && routes.get(clientPort) === route) routes.delete(clientPort)
            client.destroy()
          })
          client.once('close', () => backend.destroy())
          client.pipe(backend)
          backend.pipe(client)
          return
        }
        if (clientGone || closing) return
        if (Date.now() > deadline) {
          dropped++
          return void client.destroy()
        }
        await new Promise((resolve) => setTimeout(resolve, retryMs))
      }
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    port,
    get accepted() {
      return accepted
    },
    get skipped() {
      return skipped
    },
    get dropped() {
      return dropped
    },
    openTo: (backend) => open.get(backend) ?? 0,
    backendOf: (clientPort) => (clientPort === undefined ? undefined : routes.get(clientPort)?.port),
    setBackends(next) {
      ports = [...next]
    },
    async close() {
      closing = true
      const closed = new Promise((resolve) => server.close(resolve))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}
