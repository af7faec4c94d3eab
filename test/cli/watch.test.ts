// `wirerpc --watch`, run as a real process: every change to the routes or what they import shows in
// the client manifest without a restart, errors do not stop it, and SIGTERM does.
import { afterEach, describe, expect, it } from 'vitest'
import { createProject, exited, userRoute, waitFor, type Running } from './helpers.js'

let running: Running | undefined
afterEach(() => {
  running?.process.kill('SIGKILL')
  running = undefined
})

describe('wirerpc --watch', () => {
  it('regenerates when a route file is added, changed, re-typed through an import or deleted, and stops on SIGTERM', { timeout: 150_000 }, async () => {
    const project = createProject({
      'routes/users.ts': userRoute,
      'shared/post.ts': `export interface Post { id: number; title: string }\n`,
    })
    const cli = project.start('routes/**/*.ts', '--watch')
    running = cli
    const client = () => project.read('client/generated/api.ts') ?? ''
    const state = () => `stdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}\nclient manifest:\n${client()}`
    await waitFor(() => cli.stdout().includes('watching for changes'), state, 30_000)
    expect(client()).toContain('getUser')

    // Added, in a new subdirectory, importing a type from outside the include globs.
    const post = (path: string) =>
      `import { route } from 'wirerpc/service'\nimport type { Post } from '../../shared/post.js'\nexport const getPost = route('${path}').get(async (id: number): Promise<Post> => ({ id, title: 'x' }))\n`
    project.write('routes/posts/get.ts', post('/posts/:id'))
    await waitFor(() => client().includes('getPost') && client().includes("'posts/:id'"), state)

    // Changed.
    project.write('routes/posts/get.ts', post('/articles/:id'))
    await waitFor(() => client().includes("'articles/:id'"), state)

    // A type it imports changed.
    project.write('shared/post.ts', `export interface Post { id: number; title: string; likes: number }\n`)
    await waitFor(() => client().includes('likes: number'), state)

    // An error is reported, and watching goes on.
    project.write('routes/bad.ts', `import { route } from 'wirerpc/service'\nexport const bad = route('/x').get(async () => () => 1)\n`)
    await waitFor(() => /^routes\/bad\.ts:2:\d+ - error: /m.test(cli.stderr()), state)
    project.remove('routes/bad.ts')

    // Deleted.
    project.remove('routes/posts')
    await waitFor(() => !client().includes('getPost') && client().includes('getUser'), state)

    cli.process.kill('SIGTERM')
    expect(await exited(cli.process, 10_000)).toBe(0)
    expect(cli.process.exitCode).toBe(0)
  })
})
