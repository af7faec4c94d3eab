// The single instance of the restart kill test (restart.test.ts): the routes of the Redis tests
// on a `createFilePubSub` journal (JOURNAL), plus the publisher: every 1000/RATE ms it publishes
// `{ n }` on TOPIC until TICK_UNTIL (a timestamp in ms), numbering on from the newest event in the
// journal, so that a restarted process goes on where the killed one stopped. Prints `listening <url>`.
import { createFilePubSub, serve } from 'wirerpc/node'
import { announce } from '../../bench/servers/work.js'
import manifest from '../redis/fixtures/manifest.js'

const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`support-restart-server: ${name} is not set.`)
  return value
}
const topic = env('TOPIC')
const rate = Number(env('RATE'))
const until = Number(env('TICK_UNTIL'))

const pubsub = createFilePubSub({ file: env('JOURNAL'), retention: 100_000 })
const server = await serve(manifest, { port: Number(process.env['PORT'] ?? 0), hostname: '127.0.0.1', pubsub, onError: () => {} })

// The number of the newest event is its sequence number: this process publishes on this topic alone
// (the sequence is shared by all the topics of a PubSub).
let n = Number(pubsub.lastEventId(topic)?.split('-')[1] ?? 0)
const ticker = setInterval(() => {
  if (Date.now() >= until) return clearInterval(ticker)
  void pubsub.publish(topic, { n: ++n })
}, 1000 / rate)

announce(server.port, async () => {
  clearInterval(ticker)
  await server.close()
  await pubsub.close()
})
