// The server manifest for ./routes.ts, written by hand until the generator (`wirerpc`) emits it.
import Type from 'typebox'
import type { ServerManifest } from 'wirerpc/service'

const routes = () => import('./routes.js')

export default [
  {
    protocol: 'http', name: 'listPosts', method: 'GET', path: '/posts', pathParams: [],
    requestSchema: Type.Object({ offset: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) }, { additionalProperties: false }),
    import: async () => (await routes()).listPosts,
  },
  {
    protocol: 'http', name: 'getPost', method: 'GET', path: '/posts/:id', pathParams: ['id'],
    pathSchema: Type.Object({ id: Type.Number() }),
    requestSchema: Type.Object({}, { additionalProperties: false }),
    import: async () => (await routes()).getPost,
  },
  {
    protocol: 'http', name: 'createPost', method: 'POST', path: '/posts', pathParams: [],
    requestSchema: Type.Object({ title: Type.String({ maxLength: 140 }), body: Type.String() }, { additionalProperties: false }),
    import: async () => (await routes()).createPost,
  },
] satisfies ServerManifest
