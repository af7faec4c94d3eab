/**
 * The load process of the peers benchmark: forked by the parent for one workload against one
 * peer, it loads that peer's client module, runs the workload and sends back its figures (or the
 * error) over IPC. For the idle connections it reports `opened`, waits for `close`, then answers.
 */
import { CLIENTS } from './clients/index.js'
import { openIdle } from './idle.js'
import type { LoadReply, LoadRequest } from './protocol.js'
import { fanout, pipelined, rtt, stream } from './workloads.js'

/** Connections opened and closed before the server's memory is first read. */
const IDLE_WARMUP = 20

const reply = (message: LoadReply) => new Promise<void>((resolve) => process.send!(message, () => resolve()))
let continueRequested!: () => void
const continueRequest = new Promise<void>((resolve) => (continueRequested = resolve))
let closeRequested!: () => void
const closeRequest = new Promise<void>((resolve) => (closeRequested = resolve))

async function run(request: Extract<LoadRequest, { type: 'run' }>): Promise<void> {
  const { peer, workload, url, settings } = request
  if (workload === 'connections') {
    ;(await openIdle(peer, url, IDLE_WARMUP)).close()
    await reply({ type: 'warmed' })
    await continueRequest
    const idle = await openIdle(peer, url, settings.idleConnections)
    await reply({ type: 'opened', connections: idle.count, connectMs: idle.connectMs })
    await closeRequest
    idle.close()
    return reply({ type: 'result', result: { connections: idle.count, connectMs: idle.connectMs } })
  }
  const client = await CLIENTS[peer]()
  const runners = { rtt, pipelined, stream, fanout }
  await reply({ type: 'result', result: await runners[workload](client, url, settings) })
}

process.on('message', (request: LoadRequest) => {
  if (request.type === 'continue') return continueRequested()
  if (request.type === 'close') return closeRequested()
  run(request)
    .catch((error: unknown) => reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
    .finally(() => process.exit(0))
})
// The parent went away: nothing left to report to.
process.once('disconnect', () => process.exit(1))
// A SIGTERM from the parent ends the process through exit(), so that --cpu-prof writes its profile.
process.once('SIGTERM', () => process.exit(0))
