/**
 * The application work both benchmark servers share, so that they differ only in how a request
 * becomes a handler call and a result becomes a response.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { WebSocketServer } from 'ws'

export interface User {
  id: number
  name: string
  email: string
  age: number
  tags: string[]
}

export type NewUser = Omit<User, 'id'>

/** A deterministic user (no store: the benchmark measures the HTTP layer, not a database). */
export function findUser(id: number): User {
  return { id, name: `user${id}`, email: `user${id}@example.com`, age: 20 + (id % 50), tags: ['bench', 'http'] }
}

/** `fields=name,email` keeps `id` plus the listed fields; no `fields` keeps everything. */
export function pickFields(user: User, fields: string | undefined): Partial<User> {
  if (fields === undefined) return user
  const picked: Record<string, unknown> = { id: user.id }
  for (const field of fields.split(',')) {
    if (Object.hasOwn(user, field)) picked[field] = user[field as keyof User]
  }
  return picked as Partial<User>
}

export function createUser(input: NewUser): User {
  return { id: 1000 + input.age, ...input }
}

/**
 * Prints the line the parent waits for, and exits when the parent closes stdin or sends SIGTERM,
 * so a server never outlives the benchmark.
 */
export function announce(port: number, close: () => Promise<void>): void {
  console.log(`listening http://127.0.0.1:${port}/`)
  const exit = () => void close().finally(() => process.exit(0))
  process.stdin.on('end', exit).resume()
  process.once('SIGTERM', exit)
}

/** Announces a `ws` server on a Node HTTP server; closing terminates its clients first. */
export function announceWebSocketServer(server: Server, wss: WebSocketServer): void {
  server.listen(0, '127.0.0.1', () => {
    announce((server.address() as AddressInfo).port, async () => {
      for (const ws of wss.clients) ws.terminate()
      await new Promise((resolve) => wss.close(resolve))
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    })
  })
}
