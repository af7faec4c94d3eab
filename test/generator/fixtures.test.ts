// Generator fixtures: one folder per feature under fixtures/. Each is checked three ways: the
// manifests match the reviewed snapshots in expected/, the client type-checks against usage.ts
// (whose @ts-expect-error lines must all be errors), and (in serve.test.ts) the server manifest works.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixtureNames, generateFixture, optionsOf, typecheck } from './harness.js'

describe.each(fixtureNames)('fixture %s', (name) => {
  it('generates the reviewed manifests, with no error or warning', async () => {
    const output = await generateFixture(name, optionsOf(name))
    expect(output.messages).toEqual([])
    await expect(output.server).toMatchFileSnapshot(path.join(output.dir, 'expected/server-api.ts'))
    await expect(output.client).toMatchFileSnapshot(path.join(output.dir, 'expected/client-api.ts'))
  })

  it('emits a client that type-checks, rejecting every wrong call in usage.ts', async () => {
    const output = await generateFixture(name, optionsOf(name))
    const tsConfigFile = optionsOf(name).tsConfigFile
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
