/**
 * The server side of the IPC channel every peer server uses: announce the port, answer memory
 * requests (after a full GC: servers run with `--expose-gc`), and exit cleanly on `stop`, SIGTERM
 * or when the parent goes away (so `--cpu-prof` gets to write its profile, and no server outlives
 * the benchmark).
 */
import type { ServerReply, ServerRequest } from './protocol.js'

export function hostServer(port: number, close: () => Promise<void>): void {
  let exiting = false
  const exit = () => {
    if (exiting) return
    exiting = true
    // A server that cannot close within 3 s exits anyway: the parent would SIGKILL it after 5 s.
    setTimeout(() => process.exit(0), 3_000).unref()
    void close().finally(() => process.exit(0))
  }
  const reply = (message: ServerReply) => process.send?.(message)
  process.on('message', (message: ServerRequest) => {
    if (message.type === 'stop') return exit()
    if (message.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc
      if (!gc) throw new Error('peer server: started without --expose-gc.')
      // Two full GCs a moment apart, so that freed pages have time to go back to the system.
      gc()
      setTimeout(() => {
        gc()
        const { rss, heapUsed } = process.memoryUsage()
        reply({ type: 'memory', rss, heapUsed })
      }, 300)
    }
  })
  process.once('disconnect', exit)
  process.once('SIGTERM', exit)
  reply({ type: 'listening', port })
}
