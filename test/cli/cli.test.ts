// The `wirerpc` command, run as a real process in a temporary project.
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createProject, userRoute } from './helpers.js'

const postRoute = `import { route } from 'wirerpc/service'\nexport const getPost = route('/posts/:id').get(async (id: number) => ({ id, title: 'x' }))\n`

describe('wirerpc (one run)', { timeout: 60_000 }, () => {
  it('writes both manifests from flags alone and prints one summary line', async () => {
    const project = createProject({ 'routes/users.ts': userRoute })
    const result = await project.run('routes/*.ts', '--server-out', 'api/server.ts', '--client-out', 'web/api.ts')
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^wirerpc: 1 route from 1 file → api\/server\.ts, web\/api\.ts \(\d+ ms\)\n$/)
    expect(result.code).toBe(0)
    expect(project.read('web/api.ts')).toContain('getUser')
    expect(project.read('api/server.ts')).toContain('getUser')
  })

  it('counts push events apart from routes in the summary', async () => {
    const chat = `import { pushEvent, route } from 'wirerpc/service'\nexport const mentioned = pushEvent<{ from: string }>('mentioned')\nexport const send = route.ws(async (text: string) => text.length)\n`
    const project = createProject({ 'routes/chat.ts': chat })
    const result = await project.run('routes/*.ts')
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^wirerpc: 1 route and 1 push event from 1 file → server\/generated\/api\.ts, client\/generated\/api\.ts \(\d+ ms\)\n$/)
    expect(project.read('client/generated/api.ts')).toContain("protocol: 'push'")
  })

  it('says "unchanged" and leaves the files alone when the manifests are up to date', async () => {
    const project = createProject({ 'routes/users.ts': userRoute })
    expect((await project.run('routes/*.ts')).code).toBe(0)
    const before = statSync(path.join(project.dir, 'client/generated/api.ts')).mtimeMs
    const result = await project.run('routes/*.ts')
    expect(result.stdout).toMatch(/^wirerpc: 1 route from 1 file → server\/generated\/api\.ts, client\/generated\/api\.ts unchanged \(\d+ ms\)\n$/)
    expect(statSync(path.join(project.dir, 'client/generated/api.ts')).mtimeMs).toBe(before)
  })

  it('runs every API of an array exported by wirerpc.config.ts', async () => {
    const project = createProject({
      'routes/users.ts': userRoute,
      'routes/posts.ts': postRoute,
      'wirerpc.config.ts': [
        `import { defineConfig } from 'wirerpc/config'`,
        // A type annotation: the config is TypeScript, not JavaScript that happens to end in .ts.
        `const out: string = 'generated'`,
        `export default defineConfig([`,
        `  { include: 'routes/users.ts', serverOutFile: \`\${out}/users/server.ts\`, clientOutFile: \`\${out}/users/client.ts\` },`,
        `  { include: ['routes/posts.ts'], serverOutFile: \`\${out}/posts/server.ts\`, clientOutFile: \`\${out}/posts/client.ts\`, versionPrefix: 'v2' },`,
        `])`,
      ].join('\n'),
    })
    const result = await project.run()
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^wirerpc: 1 route from 1 file → generated\/users\/server\.ts, generated\/users\/client\.ts \(\d+ ms\)$/),
      expect.stringMatching(/^wirerpc: 1 route from 1 file → generated\/posts\/server\.ts, generated\/posts\/client\.ts \(\d+ ms\)$/),
    ])
    expect(project.read('generated/users/client.ts')).toContain('getUser')
    expect(project.read('generated/users/client.ts')).not.toContain('getPost')
    expect(project.read('generated/posts/client.ts')).toMatch(/v2\/posts\/:id/)
    // The compiled config was a temporary file.
    expect(readdirSync(project.dir).filter((name) => name.includes('timestamp'))).toEqual([])
  })

  it('lets a flag override its config field and keeps the config for the others', async () => {
    const project = createProject({
      'routes/users.ts': userRoute,
      'wirerpc.config.ts': `import { defineConfig } from 'wirerpc/config'\nexport default defineConfig({ include: 'routes/*.ts', clientOutFile: 'web/api.ts', versionPrefix: 'v1' })\n`,
    })
    const result = await project.run('--version-prefix', 'v2')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(project.read('web/api.ts')).toMatch(/v2\/users\/:id/)
    expect(project.read('web/api.ts')).not.toMatch(/v1\//)
    expect(project.exists('server/generated/api.ts')).toBe(true)
  })

  it('reads a .mjs config given with --config, relative to its own directory', async () => {
    const project = createProject({
      'app/routes/users.ts': userRoute,
      'app/wirerpc.config.mjs': `export default { include: ['routes/*.ts'], clientOutFile: 'web/api.ts' }\n`,
    })
    project.write('app/tsconfig.json', project.read('tsconfig.json') ?? '')
    const result = await project.run('--config', 'app/wirerpc.config.mjs')
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^wirerpc: 1 route from 1 file → app\/server\/generated\/api\.ts, app\/web\/api\.ts \(\d+ ms\)\n$/)
    expect(result.code).toBe(0)
    expect(project.read('app/web/api.ts')).toContain('getUser')
  })

  it('prints an error at file:line:col, exits with 1 and writes nothing', async () => {
    const project = createProject({
      'routes/users.ts': userRoute,
      'routes/bad.ts': `import { route } from 'wirerpc/service'\n\nexport const bad = route('/x').get(async () => () => 1)\n`,
    })
    const result = await project.run('routes/*.ts')
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^routes\/bad\.ts:3:\d+ - error: .*function/m)
    expect(result.stderr).toMatch(/^wirerpc: 1 error; server\/generated\/api\.ts, client\/generated\/api\.ts not written \(\d+ ms\)$/m)
    expect(result.stdout).toBe('')
    expect(project.exists('server')).toBe(false)
    expect(project.exists('client')).toBe(false)
  })

  it('reports a wrong config option with the config file name and exits with 1', async () => {
    const project = createProject({
      'routes/users.ts': userRoute,
      'wirerpc.config.ts': `export default { include: 'routes/*.ts', serverOut: 'x.ts' }\n`,
    })
    const result = await project.run()
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('wirerpc: wirerpc.config.ts: unknown option "serverOut"')
    expect(project.exists('server')).toBe(false)
  })
})

describe('wirerpc (usage)', { timeout: 30_000 }, () => {
  it('prints the usage with every flag for --help and exits with 0', async () => {
    const result = await createProject({}).run('--help')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: wirerpc \[include globs\.\.\.\]/)
    for (const flag of ['--server-out', '--client-out', '--root', '--tsconfig', '--version-prefix', '--config', '--watch', '--help', '--version']) {
      expect(result.stdout).toContain(flag)
    }
  })

  it('prints the package version for --version', async () => {
    const result = await createProject({}).run('--version')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/)
  })

  it('rejects an unknown flag as a usage error with exit code 1', async () => {
    const result = await createProject({}).run('--bogus')
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe("wirerpc: Unknown option '--bogus'.\nRun `wirerpc --help` for usage.\n")
  })

  it('asks for include globs when neither the flags nor a config give any', async () => {
    const result = await createProject({ 'routes/users.ts': userRoute }).run()
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('No route files to read')
    expect(result.stderr).toContain('wirerpc --help')
  })
})
