// writeBatcher (src/protocol/write-batching.ts): when it corks and uncorks a socket, tick by tick.
import { describe, expect, it } from 'vitest'
import { writeBatcher, type Corkable } from '../../src/protocol/write-batching.js'

/** Records the cork and uncork calls (the batcher's only effect on the socket). */
function recorder(): Corkable & { log: string[] } {
  const log: string[] = []
  return { log, cork: () => void log.push('cork'), uncork: () => void log.push('uncork') }
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve))

describe('writeBatcher', () => {
  it('leaves a lone frame of a tick uncorked, and corks the frames after it until the end of the tick', async () => {
    const tcp = recorder()
    const batch = writeBatcher(tcp)
    const write = () => (batch.beforeWrite(), batch.afterWrite())
    write()
    expect(tcp.log).toEqual([])
    write()
    write()
    expect(tcp.log).toEqual(['cork'])
    await nextTick()
    expect(tcp.log).toEqual(['cork', 'uncork'])
    // A new tick starts over: its first frame is not corked.
    write()
    await nextTick()
    expect(tcp.log).toEqual(['cork', 'uncork'])
  })

  it('writes every 32 frames of a long tick', async () => {
    const tcp = recorder()
    const batch = writeBatcher(tcp)
    for (let i = 0; i < 70; i++) {
      batch.beforeWrite()
      batch.afterWrite()
    }
    // Frame 1 alone, 2-33 corked, 34-65, then 66-70 until the end of the tick.
    expect(tcp.log).toEqual(['cork', 'uncork', 'cork', 'uncork', 'cork'])
    await nextTick()
    expect(tcp.log.at(-1)).toBe('uncork')
  })

  it('with ownTick false, uncorks only when its owner ends the tick', async () => {
    const tcp = recorder()
    const batch = writeBatcher(tcp, false)
    const write = () => (batch.beforeWrite(), batch.afterWrite())
    write()
    write()
    await nextTick()
    expect(tcp.log).toEqual(['cork'])
    batch.endOfTick()
    expect(tcp.log).toEqual(['cork', 'uncork'])
    write()
    batch.endOfTick()
    expect(tcp.log).toEqual(['cork', 'uncork'])
  })
})
