// A TCP proxy for fault tests: forwards 127.0.0.1:<port> to a target, and can stop forwarding
// (a half-open link: both ends stay open, nothing gets through), reset every connection, or refuse
// new ones. Written for the tests; no external tool.
import net from 'node:net'

export interface TcpProxy {
  readonly port: number
  /** Connections accepted so far. */
  readonly accepted: number
  /** Connections currently open. */
  readonly open: number
  /** Stops forwarding on the connections open now, both ways, without closing them. New connections forward normally. */
  blackhole(): void
  /** Destroys every open connection with a TCP reset. */
  resetAll(): void
  /** Points new connections at another target port. */
  retarget(port: number): void
  close(): Promise<void>
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort
  let accepted = 0
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; holes: boolean }>()
  const server = net.createServer((client) => {
    accepted++
    const upstream = net.connect(target, '127.0.0.1')
    const pair = { client, upstream, holes: false }
    pairs.add(pair)
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        if (!pair.holes && !to.destroyed) to.write(chunk)
      })
    forward(client, upstream)
    forward(upstream, client)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    for (const socket of [client, upstream]) {
      socket.on('error', end)
      socket.on('close', end)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted
    },
    get open() {
      return pairs.size
    },
    blackhole() {
      for (const pair of pairs) pair.holes = true
    },
    resetAll() {
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy()
        pair.upstream.resetAndDestroy()
      }
    },
    retarget(port) {
      target = port
    },
    async close() {
      for (const pair of [...pairs]) {
        pair.client.destroy()
        pair.upstream.destroy()
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
