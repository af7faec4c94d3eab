/**
 * Which side a call's latency comes from: sequential `echo` RTT p50 for every pairing of the
 * `bare` and `wirerpc` servers with the `bare` and `wirerpc` clients (they speak the same
 * JSON-RPC), plus rpc-websockets with its own client, in interleaved rounds. A diagnostic, not
 * part of `npm run bench`:
 *
 *   npm run build && TSX_TSCONFIG_PATH=bench/tsx.tsconfig.json npx tsx bench/peers/rtt-matrix.ts
 *
 * Knobs: RTT_MATRIX_CALLS (20,000 measured calls per pairing and round, after 3,000 warm-up
 * calls), RTT_MATRIX_ROUNDS (3), RTT_MATRIX_PAIRS (the pairings as JSON, such as
 * `[["wirerpc",["wirerpc"]],["rpc-websockets",["rpc-websockets"]]]`; default: the five below).
 */
import { CLIENTS } from './clients/index.js'
import { startServer } from './processes.js'
import type { PeerName } from './protocol.js'
import { FULL } from './settings.js'
import { rtt } from './workloads.js'

const CALLS = Number(process.env['RTT_MATRIX_CALLS'] ?? 20_000)
const ROUNDS = Number(process.env['RTT_MATRIX_ROUNDS'] ?? 3)
/** The RTT workload of the peers benchmark with CALLS calls, however long they take. */
const SETTINGS = { ...FULL, rttWarmup: 3_000, rttCalls: CALLS, rttSeconds: 600 }
const PAIRINGS: [PeerName, PeerName[]][] = process.env['RTT_MATRIX_PAIRS'] ? JSON.parse(process.env['RTT_MATRIX_PAIRS']) : [
  ['bare', ['bare', 'wirerpc']],
  ['wirerpc', ['bare', 'wirerpc']],
  ['rpc-websockets', ['rpc-websockets']],
]

const results = new Map<string, number[]>()
for (let round = 1; round <= ROUNDS; round++) {
  for (const [serverName, clientNames] of PAIRINGS) {
    const server = await startServer(serverName)
    try {
      for (const clientName of clientNames) {
        const client = await CLIENTS[clientName]()
        const key = `server ${serverName.padEnd(15)} client ${clientName.padEnd(15)}`
        const { p50Us } = await rtt(client, server.url, SETTINGS)
        results.set(key, [...(results.get(key) ?? []), p50Us!])
      }
    } finally {
      await server.stop()
    }
  }
}
for (const [key, values] of results) {
  const sorted = [...values].sort((a, b) => a - b)
  console.log(`${key} RTT p50 median ${sorted[(sorted.length - 1) >> 1]!.toFixed(1)} µs (rounds: ${values.map((v) => v.toFixed(1)).join(' / ')})`)
}
process.exit(0)
