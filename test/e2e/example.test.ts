// The README's main job: `npm start` serves the demo API on embedded defaults.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'

describe('the demo app', () => {
  it('starts with npm start on embedded defaults and answers HTTP calls', async () => {
    const child = spawn('npm', ['start', '--silent'], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
    try {
      let output = ''
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed within 15 s; output so far: ${output}`)), 15_000)
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
    } finally {
      process.kill(-child.pid!, 'SIGTERM')
      await once(child, 'exit')
    }
  })
})
