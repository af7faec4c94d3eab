/** CPU time of another process, from `/proc/<pid>/stat` (Linux only; `undefined` elsewhere). */
import { readFileSync } from 'node:fs'

/** Linux reports utime and stime in clock ticks of USER_HZ, 100 per second on every common build. */
const TICKS_PER_SECOND = 100

/** User + system CPU seconds the process `pid` has used so far, or `undefined` when unknown. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined
  try {
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}
