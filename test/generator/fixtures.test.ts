// Generator fixtures: one folder per feature under fixtures/. Each is checked three ways: the
// manifests match the reviewed snapshots in expected/, the client type-checks against usage.ts
// (whose @ts-expect-error lines must all be errors), and (in serve.test.ts) the server manifest works.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixturesDir, generateFixture, typecheck } from './harness.js'

const fixtures = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith('error-') && existsSync(path.join(fixturesDir, entry.name, 'usage.ts')))
  .map((entry) => entry.name)

/** A fixture's generator options, from its optional options.json. */
const optionsOf = (name: string) => {
  const file = path.join(fixturesDir, name, 'options.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
}

describe.each(fixtures)('fixture %s', (name) => {
  it('generates the reviewed manifests, with no error or warning', async () => {
    const output = await generateFixture(name, optionsOf(name))
    expect(output.messages).toEqual([])
    await expect(output.server).toMatchFileSnapshot(path.join(output.dir, 'expected/server-api.ts'))
    await expect(output.client).toMatchFileSnapshot(path.join(output.dir, 'expected/client-api.ts'))
  })

  it('emits a client that type-checks, rejecting every wrong call in usage.ts', async () => {
    const output = await generateFixture(name, optionsOf(name))
    const tsConfigFile = optionsOf(name)['tsConfigFile'] as string | undefined
    expect(typecheck(output.dir, ['usage.ts', 'generated/server-api.ts'], tsConfigFile)).toEqual([])
  })

  it('emits byte-identical manifests when run again', async () => {
    const first = await generateFixture(name, optionsOf(name))
    const second = await generateFixture(name, optionsOf(name))
    expect(second.server).toBe(first.server)
    expect(second.client).toBe(first.client)
    expect(second.result.written).toEqual([])
  })
})
