// Resumable subscriptions (docs/protocol.md, "$/resume"): tracked items carry their event id,
// $/resume before a request sets ctx.lastEventId, the PubSub replays what came after it, and a
// gap the retention no longer covers ends the subscription with -32002.
import { describe, expect, it, vi } from 'vitest'
import { createMemoryPubSub } from 'wirerpc/service'
import { answerOf, nextOf, startWsServer } from './protocol-harness.js'

const pubsub = createMemoryPubSub({ retention: 5 })
const server = await startWsServer({ pubsub })

const resume = (id: unknown, lastEventId: unknown) => ({ jsonrpc: '2.0', method: '$/resume', params: { id, lastEventId } })
const request = (id: unknown, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })

describe('$/resume and tracked items', () => {
  it('sends tracked items with their eventId, the value unwrapped', async () => {
    const client = await server.open()
    client.send(request('t1', 'topicEvents', ['a']))
    // The handler subscribes once its module has loaded: publish until it hears one.
    const ids: string[] = []
    await vi.waitFor(async () => {
      ids.push(await pubsub.publish('a', { n: ids.length + 1 }))
      expect(client.messages.filter(nextOf('t1')).length).toBeGreaterThan(0)
    })
    const item = client.messages.find(nextOf('t1')) as { params: { eventId: string } }
    expect(ids).toContain(item.params.eventId)
    expect(item.params).toEqual({ id: 't1', value: { n: ids.indexOf(item.params.eventId) + 1 }, eventId: item.params.eventId })
  })

  it('gives the handler the lastEventId sent before the request, and nothing to a plain subscription', async () => {
    const client = await server.open()
    client.send(resume('r1', 'abc-1'))
    client.send(request('r1', 'resumedFrom'))
    expect((await client.waitFor(nextOf('r1'))).params.value).toBe('abc-1')
    client.send(request('r2', 'resumedFrom'))
    expect((await client.waitFor(nextOf('r2'))).params.value).toBeNull()
  })

  it('replays the events after lastEventId, then goes on live, with no gap and no duplicate', async () => {
    const ids = [await pubsub.publish('b', { n: 1 }), await pubsub.publish('b', { n: 2 }), await pubsub.publish('b', { n: 3 })]
    const client = await server.open()
    client.send(resume('b1', ids[0]))
    client.send(request('b1', 'topicEvents', ['b']))
    await vi.waitFor(() => expect(client.messages.filter(nextOf('b1'))).toHaveLength(2))
    await pubsub.publish('b', { n: 4 })
    await vi.waitFor(() => expect(client.messages.filter(nextOf('b1'))).toHaveLength(3))
    expect(client.messages.filter(nextOf('b1')).map((message: any) => message.params.value.n)).toEqual([2, 3, 4])
  })

  it('ends with -32002 (resync required) when the retention no longer covers lastEventId', async () => {
    const first = await pubsub.publish('c', { n: 0 })
    for (let n = 1; n <= 6; n++) await pubsub.publish('c', { n }) // retention 5: the event after `first` is gone
    const client = await server.open()
    client.send(resume('c1', first))
    client.send(request('c1', 'topicEvents', ['c']))
    expect(await client.waitFor(answerOf('c1'))).toEqual({
      jsonrpc: '2.0',
      id: 'c1',
      error: { code: -32002, message: expect.stringMatching(/^Resync required: topic "c" no longer holds the events after/), data: { lastEventId: first } },
    })
  })

  it('answers -32002 for an id from another process (a restarted in-memory server) instead of skipping events', async () => {
    const client = await server.open()
    client.send(resume('d1', '1-5'))
    client.send(request('d1', 'topicEvents', ['d']))
    expect(await client.waitFor(answerOf('d1'))).toMatchObject({ error: { code: -32002, data: { lastEventId: '1-5' } } })
  })

  it('ignores $/resume for an id in flight, or without a string lastEventId', async () => {
    const client = await server.open()
    client.send(request('e1', 'topicEvents', ['e']))
    client.send(resume('e1', 'x-1'))
    client.send(resume('e2', 42))
    client.send(request('e2', 'resumedFrom'))
    expect((await client.waitFor(nextOf('e2'))).params.value).toBeNull()
    await pubsub.publish('e', { n: 1 })
    expect((await client.waitFor(nextOf('e1'))).params.value).toEqual({ n: 1 })
  })
})
