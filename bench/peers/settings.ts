/**
 * Counts and time bounds of the peers benchmark: the figures for a full run, tiny ones for
 * `--quick` (which only proves that every peer and workload still runs).
 */
import { execSync } from 'node:child_process'
import type { Settings, Workload } from './protocol.js'

export const FULL: Settings = {
  rttWarmup: 2_000,
  rttCalls: 10_000,
  rttSeconds: 5,
  inFlight: 100,
  pipelinedWarmupSeconds: 1,
  pipelinedSeconds: 5,
  streamWarmup: 20_000,
  streamItems: 200_000,
  fanSubscribers: 500,
  fanWarmupMessages: 100,
  fanMessages: 2_000,
  idleConnections: 5_000,
}

export const QUICK: Settings = {
  rttWarmup: 100,
  rttCalls: 500,
  rttSeconds: 1,
  inFlight: 100,
  pipelinedWarmupSeconds: 0.2,
  pipelinedSeconds: 0.5,
  streamWarmup: 1_000,
  streamItems: 5_000,
  fanSubscribers: 20,
  fanWarmupMessages: 10,
  fanMessages: 100,
  idleConnections: 200,
}

/** Seconds a load process may take for one workload before the run fails (a hung peer). */
export function loadTimeout(workload: Workload, settings: Settings): number {
  switch (workload) {
    case 'rtt':
      return 60 + settings.rttSeconds
    case 'pipelined':
      return 30 + settings.pipelinedWarmupSeconds + settings.pipelinedSeconds
    case 'stream':
      return 60 + (settings.streamWarmup + settings.streamItems) / 2_000
    case 'fanout':
      return 240 + (settings.fanSubscribers * settings.fanMessages) / 20_000
    case 'connections':
      return 180
  }
}

/**
 * Idle connections fit the open-file limit of one process (the load process holds one socket per
 * connection, the server one more): nothing is raised system-wide; when the limit is too low, the
 * count shrinks and the note says so.
 */
export function fitToFileLimit(settings: Settings): { settings: Settings; note?: string } {
  let limit = Number.POSITIVE_INFINITY
  try {
    const raw = execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim()
    if (raw !== 'unlimited') limit = Number(raw)
  } catch {
    // No shell: keep the count; a failure to connect will say so.
  }
  const fits = limit - 256
  if (!Number.isFinite(limit) || settings.idleConnections <= fits) return { settings }
  const note = `ulimit -n is ${limit}: idle connections reduced from ${settings.idleConnections} to ${fits}.`
  return { settings: { ...settings, idleConnections: fits }, note }
}
