/** wirerpc `serve()` with a hand-written server manifest (what the generator would emit). */
import Type from 'typebox'
import { serve } from 'wirerpc/node'
import { route, type ServerManifest } from 'wirerpc/service'
import { announce, createUser, findUser, pickFields, type NewUser } from './work.js'

const getUser = route('/users/:id').get((id: number, data: { fields?: string }) => pickFields(findUser(id), data.fields))
const postUser = route('/users').post((data: NewUser) => createUser(data))

const manifest: ServerManifest = [
  {
    protocol: 'http',
    name: 'getUser',
    method: 'GET',
    path: '/users/:id',
    pathParams: ['id'],
    pathSchema: Type.Object({ id: Type.Number() }),
    requestSchema: Type.Object({ fields: Type.Optional(Type.String()) }),
    import: async () => getUser,
  },
  {
    protocol: 'http',
    name: 'postUser',
    method: 'POST',
    path: '/users',
    pathParams: [],
    requestSchema: Type.Object({
      name: Type.String({ minLength: 1 }),
      email: Type.String(),
      age: Type.Integer({ minimum: 0 }),
      tags: Type.Array(Type.String()),
    }),
    import: async () => postUser,
  },
]

const server = await serve(manifest, { port: 0, hostname: '127.0.0.1', shutdownTimeout: 1 })
announce(server.port, () => server.close())
