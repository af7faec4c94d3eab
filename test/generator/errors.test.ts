// Generator errors: each fixture under fixtures/error-* holds one route whose types cannot cross
// the wire; the generator names the route, the parameter, the type and its file:line, and writes nothing.
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixturesDir, generateFixture } from './harness.js'

const expectations: Record<string, { line: number; route: string; parameter?: string; type: string; reason: RegExp }> = {
  'error-function': { line: 5, route: 'subscribe', parameter: 'parameter "data"', type: '(message: string) => void', reason: /functions cannot cross the wire/ },
  'error-symbol': { line: 3, route: 'tagged', parameter: 'the result', type: 'symbol', reason: /symbols cannot cross the wire/ },
  'error-class': { line: 7, route: 'pay', parameter: 'parameter "data"', type: 'Money', reason: /class instances cannot cross the wire/ },
  'error-map': { line: 3, route: 'counts', parameter: 'the result', type: 'Map<string, number>', reason: /Map cannot cross the wire/ },
  'error-set': { line: 3, route: 'unique', parameter: 'parameter "ids"', type: 'Set<string>', reason: /Set cannot cross the wire/ },
  'error-bigint': { line: 3, route: 'big', parameter: 'the result', type: 'bigint', reason: /bigint cannot cross the wire/ },
}

describe('generator errors', () => {
  it('has a fixture for every expectation, and an expectation for every fixture', () => {
    const folders = readdirSync(fixturesDir).filter((name) => name.startsWith('error-') && name !== 'error-any-result')
    expect(folders.sort()).toEqual(Object.keys(expectations).sort())
  })

  it.each(Object.entries(expectations))('%s: names the route, parameter, type and location, and writes nothing', async (name, expected) => {
    const output = await generateFixture(name)
    expect(output.result.errors).toHaveLength(1)
    const [error] = output.result.errors
    expect(error).toMatchObject({ severity: 'error', route: expected.route, line: expected.line, file: path.join(output.dir, 'routes.ts') })
    expect(error!.message).toContain(`Route "${expected.route}"`)
    if (expected.parameter) expect(error!.message).toContain(expected.parameter)
    expect(error!.message).toContain(`\`${expected.type}\``)
    expect(error!.message).toMatch(expected.reason)
    expect(output.messages[0]).toMatch(new RegExp(`^routes\\.ts:${expected.line}:\\d+ - error: `))
    expect(existsSync(path.join(output.dir, 'generated'))).toBe(false)
  })

  it('warns about an `any` result and types it `unknown` in the client', async () => {
    const output = await generateFixture('error-any-result')
    expect(output.result.errors).toEqual([])
    expect(output.messages).toEqual(['routes.ts:3:14 - warning: Route "loose": the result type is `any`, so the client sees `unknown`; annotate the handler\'s return type.'])
    expect(output.client).toContain('Promise<unknown>')
  })

  it('refuses a push event whose name is not a literal, and two push events with one name', async () => {
    const output = await generateFixture('push-errors')
    expect(output.messages).toEqual([
      'routes.ts:4:14 - error: Route "computed": its name is not a string literal; declare it as `export const x = pushEvent<T>(\'x\')`',
      expect.stringMatching(/^routes\.ts:1:1 - error: Routes "first" \(.*routes\.ts\) and "second" both answer push event "same": give one another name\.$/),
    ])
    expect(existsSync(path.join(output.dir, 'generated'))).toBe(false)
  })
})
