// FrameMerger (src/node/frame-merger.ts) on its own: what it hands to `write`, tick by tick.
// Over a real socket, see test/e2e/ws/merging.test.ts.
import { describe, expect, it } from 'vitest'
import { FrameMerger, type Outgoing } from '../../src/node/frame-merger.js'

const note = (n: number) => JSON.stringify({ jsonrpc: '2.0', method: '$/next', params: { id: 1, value: n } })
const response = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, result: null })
const text = (frame: Outgoing) => (typeof frame === 'string' ? frame : Buffer.from(frame).toString())
const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve))

function merger() {
  const frames: Outgoing[] = []
  return { frames, merger: new FrameMerger((frame) => frames.push(frame)), parsed: () => frames.map((frame) => JSON.parse(text(frame)) as unknown) }
}

describe('FrameMerger', () => {
  it('writes the first message of a tick at once, merges the notifications after it, and writes them at the end of the tick', async () => {
    const { frames, merger: m, parsed } = merger()
    m.send(note(0), true)
    m.send(note(1), true)
    m.send(note(2), true)
    expect(frames).toEqual([note(0)])
    expect(m.queuedBytes).toBe(note(1).length + note(2).length)
    await nextTick()
    expect(parsed()).toEqual([JSON.parse(note(0)), [JSON.parse(note(1)), JSON.parse(note(2))]])
    expect(m.queuedBytes).toBe(0)
    // A new tick starts over: its first message leaves at once.
    m.send(note(3), true)
    expect(frames).toHaveLength(3)
  })

  it('calls onEndOfTick once per tick that wrote, after its last frame', async () => {
    const log: string[] = []
    const m = new FrameMerger((frame) => void log.push(`write ${text(frame).length > 0 ? 'frame' : ''}`), () => void log.push('end'))
    m.send(note(0), true)
    m.send(note(1), true)
    expect(log).toEqual(['write frame'])
    await nextTick()
    expect(log).toEqual(['write frame', 'write frame', 'end'])
    await nextTick()
    expect(log).toHaveLength(3)
  })

  it('writes a frame every 32 notifications', () => {
    const { frames, merger: m, parsed } = merger()
    for (let i = 0; i <= 64; i++) m.send(note(i), true)
    expect(frames).toHaveLength(3)
    expect((parsed()[1] as unknown[]).length).toBe(32)
    expect((parsed()[2] as unknown[]).length).toBe(32)
  })

  it('sends a response alone, after the notifications gathered before it', () => {
    const { merger: m, parsed } = merger()
    m.send(note(0), true)
    m.send(note(1), true)
    m.send(response(9), false)
    m.send(note(2), true)
    m.flush()
    expect(parsed()).toEqual([JSON.parse(note(0)), JSON.parse(note(1)), JSON.parse(response(9)), JSON.parse(note(2))])
  })

  it('sends a notification of 16 KiB or more alone, and keeps merged frames under 16 KiB', () => {
    const { frames, merger: m } = merger()
    const large = JSON.stringify({ jsonrpc: '2.0', method: '$/push', params: { event: 'e', value: 'x'.repeat(17_000) } })
    const medium = JSON.stringify({ jsonrpc: '2.0', method: '$/push', params: { event: 'e', value: 'x'.repeat(7_000) } })
    m.send(note(0), true)
    m.send(large, true)
    expect(frames).toEqual([note(0), large])
    m.send(medium, true)
    m.send(medium, true)
    expect(frames).toHaveLength(2)
    // A third would take the frame past 16 KiB: the two gathered leave first.
    m.send(medium, true)
    expect(frames.map(text)).toEqual([note(0), large, `[${medium},${medium}]`])
    m.flush()
    expect(frames.map(text).at(-1)).toBe(medium)
  })

  it('keeps merged frames under the limit it is given, brackets and commas included', () => {
    const frames: Outgoing[] = []
    const m = new FrameMerger((frame) => frames.push(frame), undefined, 100)
    const small = (n: number) => JSON.stringify({ n: 'x'.repeat(20 + (n % 7)) })
    m.send(small(0), true)
    for (let n = 1; n <= 40; n++) m.send(small(n), true)
    m.send('x'.repeat(100), true) // as large as the limit: alone
    m.flush()
    expect(frames.every((frame) => text(frame).length < 100 || text(frame) === 'x'.repeat(100))).toBe(true)
    expect(frames.map(text).at(-1)).toBe('x'.repeat(100))
    const merged = frames.slice(1, -1).map((frame) => JSON.parse(text(frame)) as unknown)
    expect(merged.filter(Array.isArray).length).toBeGreaterThan(5)
    expect(merged.flat()).toEqual(Array.from({ length: 40 }, (_, i) => JSON.parse(small(i + 1))))
  })

  it('merges text and encoded bytes into one valid JSON array of UTF-8 bytes', () => {
    const { frames, merger: m, parsed } = merger()
    const push = JSON.stringify({ jsonrpc: '2.0', method: '$/push', params: { event: 'é', value: '✓' } })
    m.send(note(0), true)
    m.send(new TextEncoder().encode(push), true)
    m.send(note(1), true)
    m.flush()
    expect(frames[1]).toBeInstanceOf(Uint8Array)
    expect(parsed()[1]).toEqual([JSON.parse(push), JSON.parse(note(1))])
  })

  it('flush() sends what was gathered now (before a close) and nothing twice', async () => {
    const { frames, merger: m } = merger()
    m.send(note(0), true)
    m.send(note(1), true)
    m.flush()
    expect(frames).toHaveLength(2)
    await nextTick()
    expect(frames).toHaveLength(2)
  })
})
