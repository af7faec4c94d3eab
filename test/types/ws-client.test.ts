/**
 * Types of WebSocket calls on a generated client (examples/basic): each assertion is checked by
 * `tsc` (npm run typecheck); at run time nothing is sent.
 */
import { describe, expectTypeOf, test } from 'vitest'
import { connectionOf, defineClient, type ConnectionState, type ResultTuple, type Subscription, type WsCallOptions, type WsRequestOptions } from 'wirerpc/client'
import * as api from '../../examples/basic/generated/client-api.js'

const client = defineClient(api, { prefixUrl: 'ws://127.0.0.1:1/' })
const returning = defineClient(api, { prefixUrl: 'ws://127.0.0.1:1/', errorMode: 'return' })
type Update = { topic: string; seq: number; timestamp: number }

describe('WebSocket call types', () => {
  test('a notification resolves to void and takes its parameters, then WsCallOptions', () => {
    expectTypeOf(client.logEvent).parameters.toEqualTypeOf<[event: string, data: { userId: number }, options?: WsCallOptions]>()
    expectTypeOf(client.logEvent).returns.toEqualTypeOf<Promise<void>>()
  })

  test('a request resolves to the handler result and takes WsRequestOptions', () => {
    expectTypeOf(client.getUserData).parameters.toEqualTypeOf<[userId: string, options?: WsRequestOptions]>()
    expectTypeOf(client.getUserData).returns.resolves.toEqualTypeOf<api.UserData>()
    expectTypeOf<WsRequestOptions>().toEqualTypeOf<{ signal?: AbortSignal; timeout?: number | false; idempotent?: boolean }>()
  })

  test("a subscription returns, synchronously, a Subscription of the generator's items", () => {
    expectTypeOf(client.subscribeToUpdates).returns.toEqualTypeOf<Subscription<Update>>()
    expectTypeOf<Subscription<Update>>().toExtend<AsyncIterable<Update>>()
    expectTypeOf<Subscription<Update>['next']>().returns.resolves.toEqualTypeOf<IteratorResult<Update>>()
    expectTypeOf<Subscription<Update>['return']>().toBeFunction()
  })

  test("errorMode 'return' turns promises into result tuples and leaves subscriptions alone", () => {
    expectTypeOf(returning.getUserData).returns.toEqualTypeOf<Promise<ResultTuple<api.UserData>>>()
    expectTypeOf(returning.logEvent).returns.toEqualTypeOf<Promise<ResultTuple<void>>>()
    expectTypeOf(returning.subscribeToUpdates).returns.toEqualTypeOf<Subscription<Update>>()
  })

  test('wrong calls do not compile', () => {
    // @ts-expect-error the user id is a string
    void client.getUserData(123)
    // @ts-expect-error data needs a numeric userId
    void client.logEvent('x', { userId: '1' })
    // @ts-expect-error a subscription is not a promise
    void client.subscribeToUpdates('t').then
    // @ts-expect-error notifications take no timeout (they resolve once written)
    void client.logEvent('x', { userId: 1 }, { timeout: 1 })
  })

  test('connectionOf() exposes the state, the pending count, listeners and close()', () => {
    const connection = connectionOf(client)
    expectTypeOf(connection.state).toEqualTypeOf<ConnectionState>()
    expectTypeOf<ConnectionState>().toEqualTypeOf<'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'>()
    expectTypeOf(connection.pending).toEqualTypeOf<number>()
    expectTypeOf(connection.onStateChange).parameter(0).toEqualTypeOf<(state: ConnectionState, previous: ConnectionState) => void>()
    expectTypeOf(connection.onStateChange).returns.toEqualTypeOf<() => void>()
  })
})
