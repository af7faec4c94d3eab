/**
 * A throwaway redis-server for the fan-out benchmark (`bench/fanout.ts`): the tests' starter
 * (test/redis/redis-server.ts) without persistence, killed with the process if the run dies.
 */
import { startRedisServer } from '../../test/redis/redis-server.js'

export interface BenchRedis {
  readonly url: string
  readonly pid: number | undefined
  stop(): Promise<void>
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const redis = await startRedisServer({ persistent: false })
  // Synchronous, so that it also runs from a process `exit` handler (Ctrl-C, an error).
  const killNow = () => void (redis.pid && process.kill(redis.pid, 'SIGKILL'))
  process.once('exit', killNow)
  return {
    url: redis.url,
    pid: redis.pid,
    async stop() {
      process.off('exit', killNow)
      await redis.dispose()
    },
  }
}
