/**
 * What the processes of the peers benchmark (`bench/peers.ts`) say to each other, and the shapes
 * every peer's client implements. Three kinds of process: the parent (orchestrator), one server per
 * peer and workload, and one load process per peer and workload; they talk over Node's IPC channel
 * (`child_process.fork`), so stdout stays free for humans.
 */
import type { Echo, Tick } from '../lib/client-ws-work.js'

export const PEER_NAMES = ['bare', 'bare-coalesced', 'wirerpc', 'socket.io', 'trpc', 'rpc-websockets'] as const
export type PeerName = (typeof PEER_NAMES)[number]

export const WORKLOADS = ['rtt', 'pipelined', 'stream', 'fanout', 'connections'] as const
export type Workload = (typeof WORKLOADS)[number]

/** The topic (room, event) every fan-out subscriber listens to. */
export const TOPIC = 'news'

/** One fan-out message: publish round `r`, sequence `s` (0 … count − 1). */
export interface FanMessage {
  r: number
  s: number
}

/** Counts and time bounds of one run of the workloads (full or `--quick`). */
export interface Settings {
  readonly rttWarmup: number
  readonly rttCalls: number
  readonly rttSeconds: number
  readonly inFlight: number
  readonly pipelinedWarmupSeconds: number
  readonly pipelinedSeconds: number
  readonly streamWarmup: number
  readonly streamItems: number
  readonly fanSubscribers: number
  readonly fanWarmupMessages: number
  readonly fanMessages: number
  readonly idleConnections: number
}

/** Parent → load process. */
export type LoadRequest = { type: 'run'; peer: PeerName; workload: Workload; url: string; settings: Settings } | { type: 'continue' } | { type: 'close' }

/** Figures of one workload run; only those of the workload are set. */
export interface LoadResult {
  p50Us?: number
  p99Us?: number
  rate?: number
  count?: number
  seconds?: number
  connectMs?: number
  connections?: number
}

/**
 * Load process → parent. Idle connections go in two steps, each answered by the parent once it
 * has read the server's memory: `warmed` (a few connections opened and closed, so that code the
 * server loads on first use counts before), then `opened` (all of them up).
 */
export type LoadReply =
  | { type: 'result'; result: LoadResult }
  | { type: 'warmed' }
  | { type: 'opened'; connections: number; connectMs: number }
  | { type: 'error'; message: string }

/** Parent → server, and its answers: the server's memory after a full GC. */
export type ServerRequest = { type: 'memory' } | { type: 'stop' }
export type ServerReply = { type: 'listening'; port: number } | { type: 'memory'; rss: number; heapUsed: number }

/** One connection of a peer's own client library. */
export interface PeerClient {
  echo(value: Echo): Promise<Echo>
  /** Asks for `count` ticks and hands each to `onItem`; resolves once the stream has ended. */
  stream(count: number, onItem: (item: Tick) => void): Promise<void>
  close(): Promise<void>
}

/** A fan-out subscriber: open (and subscribed, as far as the client can tell) once resolved. */
export interface FanSubscriber {
  close(): Promise<void>
}

export interface PeerClientModule {
  connect(url: string): Promise<PeerClient>
  subscribe(url: string, onMessage: (message: FanMessage) => void, onError: (error: unknown) => void): Promise<FanSubscriber>
  /** Asks the server to publish `count` messages `{ r: round, s }` on TOPIC; resolves with its answer. */
  publish(client: PeerClient, round: number, count: number): Promise<void>
}
