// The client manifest of test/e2e/ws/routes.ts, as the generator emits it (the generator's own
// fixture tests check the emitter; these tests check the client).
import type * as wirerpc from 'wirerpc/client'
import type { UserData } from '../../e2e/ws/routes.js'

type Update = { timestamp: number; data: string }

export const logEvent = { protocol: 'ws', pattern: 'n', name: 'logEvent', arity: 2 } as wirerpc.Route<
  (event: string, data: any, options?: wirerpc.WsCallOptions) => Promise<void>
>
export const getUserData = { protocol: 'ws', pattern: 'r', name: 'getUserData', arity: 1 } as wirerpc.Route<
  (userId: string, options?: wirerpc.WsRequestOptions) => Promise<UserData>
>
export const subscribeToUpdates = { protocol: 'ws', pattern: 's', name: 'subscribeToUpdates', arity: 2 } as wirerpc.Route<
  (topic: string, count?: number, options?: wirerpc.WsSubscribeOptions) => wirerpc.Subscription<Update>
>
export const slow = { protocol: 'ws', pattern: 'r', name: 'slow', arity: 1 } as wirerpc.Route<
  (ms: number, options?: wirerpc.WsRequestOptions) => Promise<number>
>
export const fail = { protocol: 'ws', pattern: 'r', name: 'fail', arity: 1 } as wirerpc.Route<
  (kind: string, options?: wirerpc.WsRequestOptions) => Promise<never>
>
export const burst = { protocol: 'ws', pattern: 's', name: 'burst', arity: 1 } as wirerpc.Route<
  (count: number, options?: wirerpc.WsSubscribeOptions) => wirerpc.Subscription<number>
>
export const failingStream = { protocol: 'ws', pattern: 's', name: 'failingStream', arity: 0 } as wirerpc.Route<
  (options?: wirerpc.WsCallOptions) => wirerpc.Subscription<number>
>
export const whoami = { protocol: 'ws', pattern: 'r', name: 'whoami', arity: 0 } as wirerpc.Route<
  (options?: wirerpc.WsRequestOptions) => Promise<{ connection: string; ip: string; agent: string | null }>
>
export const optional = { protocol: 'ws', pattern: 'r', name: 'optional', arity: 2 } as wirerpc.Route<
  (a: string, b?: number, options?: wirerpc.WsRequestOptions) => Promise<{ a: string; b: number | null; hasContext: boolean }>
>
export const big = { protocol: 'ws', pattern: 's', name: 'big', arity: 1 } as wirerpc.Route<
  (size: number, options?: wirerpc.WsCallOptions) => wirerpc.Subscription<string>
>
export const me = { protocol: 'ws', pattern: 'r', name: 'me', arity: 0 } as wirerpc.Route<
  (options?: wirerpc.WsRequestOptions) => Promise<{ user: string; chainRuns: number }>
>
export const waitForCancel = { protocol: 'ws', pattern: 's', name: 'waitForCancel', arity: 0 } as wirerpc.Route<
  (options?: wirerpc.WsCallOptions) => wirerpc.Subscription<string>
>
export const unserializable = { protocol: 'ws', pattern: 'r', name: 'unserializable', arity: 0 } as wirerpc.Route<
  (options?: wirerpc.WsRequestOptions) => Promise<never>
>
export const counted = { protocol: 'ws', pattern: 's', name: 'counted', arity: 0 } as wirerpc.Route<
  (options?: wirerpc.WsSubscribeOptions) => wirerpc.Subscription<string>
>
export const topicEvents = { protocol: 'ws', pattern: 's', name: 'topicEvents', arity: 1 } as wirerpc.Route<
  (topic: string, options?: wirerpc.WsSubscribeOptions) => wirerpc.Subscription<{ n: number }>
>
export const publish = { protocol: 'ws', pattern: 'r', name: 'publish', arity: 2 } as wirerpc.Route<
  (topic: string, n: number, options?: wirerpc.WsRequestOptions) => Promise<string>
>
export const notice = { protocol: 'push', name: 'notice' } as wirerpc.Route<wirerpc.PushSource<{ text: string; n: number }>>
export const remember = { protocol: 'ws', pattern: 'r', name: 'remember', arity: 2 } as wirerpc.Route<
  (count: number, delayMs: number, options?: wirerpc.WsRequestOptions) => Promise<string>
>
export const joinRoom = { protocol: 'ws', pattern: 's', name: 'joinRoom', arity: 1 } as wirerpc.Route<
  (room: string, options?: wirerpc.WsSubscribeOptions) => wirerpc.Subscription<string>
>
export const broadcast = { protocol: 'ws', pattern: 'r', name: 'broadcast', arity: 3 } as wirerpc.Route<
  (room: string, text: string, n: number, options?: wirerpc.WsRequestOptions) => Promise<string>
>
export const pushMany = { protocol: 'ws', pattern: 'r', name: 'pushMany', arity: 2 } as wirerpc.Route<
  (count: number, size: number, options?: wirerpc.WsRequestOptions) => Promise<number>
>
