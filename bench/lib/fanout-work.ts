/**
 * What the fan-out benchmark's servers and clients share: the message shape and the checks of the
 * requests. A message is `{ r, s }`: round `r` (−1 for the readiness probes), sequence `s` from 0.
 */

export interface FanoutMessage {
  readonly r: number
  readonly s: number
}

/** Most messages one publish request may ask for. */
export const MAX_PUBLISH = 1_000_000

/** The arguments of a publish request, checked by hand: a topic (room), a round (−1 or more), a count. */
export function parsePublish(topic: unknown, round: unknown, count: unknown): { topic: string; round: number; count: number } {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > 200) throw new TypeError('topic: expected a non-empty string.')
  if (typeof round !== 'number' || !Number.isInteger(round) || round < -1) throw new TypeError('round: expected an integer, -1 or more.')
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_PUBLISH) throw new TypeError(`count: expected an integer from 1 to ${MAX_PUBLISH}.`)
  return { topic, round, count }
}
