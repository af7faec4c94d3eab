// The server manifest of ./routes.ts, as the generator emits it (see test/generator/fixtures/ws-patterns).
import type { ServerManifest } from 'wirerpc/service'

const routes = () => import('./routes.js')
const tuple = (items: object[], minItems = items.length, rest?: object) => ({ type: 'array', prefixItems: items, items: rest ?? false, minItems, ...(rest ? {} : { maxItems: items.length }) })
const string = { type: 'string' }
const number = { type: 'number' }
const bounded = (maximum: number) => ({ type: 'number', minimum: 0, maximum })
const count = bounded(2000)

export default [
  { protocol: 'ws', name: 'logEvent', pattern: 'n', paramsSchema: tuple([string, {}]), import: async () => (await routes()).logEvent },
  { protocol: 'ws', name: 'getUserData', pattern: 'r', paramsSchema: tuple([string]), import: async () => (await routes()).getUserData },
  { protocol: 'ws', name: 'subscribeToUpdates', pattern: 's', paramsSchema: tuple([string, number], 1), import: async () => (await routes()).subscribeToUpdates },
  { protocol: 'ws', name: 'slow', pattern: 'r', paramsSchema: tuple([number]), import: async () => (await routes()).slow },
  { protocol: 'ws', name: 'hang', pattern: 'r', paramsSchema: tuple([bounded(60_000)]), import: async () => (await routes()).hang },
  { protocol: 'ws', name: 'sized', pattern: 'r', paramsSchema: tuple([bounded(1_000_000), bounded(10_000)]), import: async () => (await routes()).sized },
  { protocol: 'ws', name: 'spin', pattern: 's', paramsSchema: tuple([]), import: async () => (await routes()).spin },
  { protocol: 'ws', name: 'fail', pattern: 'r', paramsSchema: tuple([string]), import: async () => (await routes()).fail },
  { protocol: 'ws', name: 'burst', pattern: 's', paramsSchema: tuple([count]), import: async () => (await routes()).burst },
  { protocol: 'ws', name: 'failingStream', pattern: 's', paramsSchema: tuple([]), import: async () => (await routes()).failingStream },
  { protocol: 'ws', name: 'whoami', pattern: 'r', paramsSchema: tuple([]), import: async () => (await routes()).whoami },
  { protocol: 'ws', name: 'optional', pattern: 'r', paramsSchema: tuple([string, number], 1), import: async () => (await routes()).optional },
  { protocol: 'ws', name: 'big', pattern: 's', paramsSchema: tuple([number]), import: async () => (await routes()).big },
  { protocol: 'ws', name: 'counted', pattern: 's', paramsSchema: tuple([]), import: async () => (await routes()).counted },
  { protocol: 'ws', name: 'me', pattern: 'r', paramsSchema: tuple([]), import: async () => (await routes()).me },
  { protocol: 'ws', name: 'waitForCancel', pattern: 's', paramsSchema: tuple([]), import: async () => (await routes()).waitForCancel },
  { protocol: 'ws', name: 'unserializable', pattern: 'r', paramsSchema: tuple([]), import: async () => (await routes()).unserializable },
  { protocol: 'ws', name: 'topicEvents', pattern: 's', paramsSchema: tuple([string]), import: async () => (await routes()).topicEvents },
  { protocol: 'ws', name: 'publish', pattern: 'r', paramsSchema: tuple([string, number]), import: async () => (await routes()).publish },
  { protocol: 'ws', name: 'resumedFrom', pattern: 's', paramsSchema: tuple([]), import: async () => (await routes()).resumedFrom },
  { protocol: 'ws', name: 'remember', pattern: 'r', paramsSchema: tuple([count, bounded(1000)]), import: async () => (await routes()).remember },
  { protocol: 'ws', name: 'joinRoom', pattern: 's', paramsSchema: tuple([string]), import: async () => (await routes()).joinRoom },
  { protocol: 'ws', name: 'broadcast', pattern: 'r', paramsSchema: tuple([string, string, number]), import: async () => (await routes()).broadcast },
  { protocol: 'ws', name: 'pushMany', pattern: 'r', paramsSchema: tuple([count, bounded(20_000)]), import: async () => (await routes()).pushMany },
] satisfies ServerManifest
