// The small example API (examples/basic): `npm run start:basic` serves it on embedded defaults.
// (`npm start` runs the chat demo: test/browser/chat-demo.test.ts.)
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

describe('the basic example', () => {
  it('starts with npm run start:basic (generate, then serve) on embedded defaults and answers the typed client', async () => {
    const child = spawn('npm', ['run', 'start:basic', '--silent'], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
    try {
      let output = ''
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed within 30 s; output so far: ${output}`)), 30_000)
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk
          const match = /listening on (http:\/\/\S+)/.exec(output)
          if (match) {
            clearTimeout(timer)
            resolve(match[1]!)
          }
        })
      })
      expect(await (await fetch(`${url}posts/2`)).json()).toMatchObject({ id: 2, title: 'Post number 2' })
      const denied = await fetch(`${url}posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"x","body":"y"}' })
      expect(denied.status).toBe(401)
      // The typed client, on the manifest the script generated, against the running server.
      const { stdout } = await promisify(execFile)('npx', ['tsx', 'examples/basic/client.ts'], { env: { ...process.env, API_URL: url }, timeout: 30_000 })
      expect(stdout.split('\n')).toEqual([
        'getPost(1): Post number 1',
        'listPosts page 1: 1, 2, 3',
        'listPosts page 2: 4, 5, 6',
        'createPost without a token: 401 Send "authorization: Bearer demo" to write.',
        'createPost with a token: #26 by demo',
        "getUserData('123'): User 123",
        'subscribeToUpdates: user-events #1',
        'subscribeToUpdates: user-events #2',
        '',
      ])
    } finally {
      process.kill(-child.pid!, 'SIGTERM')
      await once(child, 'exit')
    }
  }, 60_000)
})
