import { describe, expect, test } from 'vitest'
import { readJsonSeq } from '../../src/client/http/json-seq.js'

const encoder = new TextEncoder()

/** A body the test writes to chunk by chunk, as a slow network would deliver it. */
function controlledBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let cancelled = false
  const body = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => void (cancelled = true),
  })
  return {
    body,
    write: (chunk: string | Uint8Array) => controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk),
    close: () => controller.close(),
    get cancelled() {
      return cancelled
    },
  }
}

async function collect(chunks: (string | Uint8Array)[]): Promise<unknown[]> {
  const source = controlledBody()
  for (const chunk of chunks) source.write(chunk)
  source.close()
  const values: unknown[] = []
  for await (const value of readJsonSeq(source.body)) values.push(value)
  return values
}

describe('readJsonSeq', () => {
  test('parses records split at any point across chunks', async () => {
    const text = '\u001e{"a":1}\n\u001e[1,2,3]\n\u001e"x"\n\u001enull\n'
    for (let cut = 0; cut <= text.length; cut++) {
      await expect(collect([text.slice(0, cut), text.slice(cut)])).resolves.toEqual([{ a: 1 }, [1, 2, 3], 'x', null])
    }
  })

  test('decodes a multi-byte character split between chunks', async () => {
    const bytes = encoder.encode('\u001e"héllo 🌍"\n')
    const values = await collect([bytes.slice(0, 4), bytes.slice(4, 11), bytes.slice(11)])
    expect(values).toEqual(['héllo 🌍'])
  })

  test('yields a record as soon as its line feed arrives, before the next one starts', async () => {
    const source = controlledBody()
    const records = readJsonSeq(source.body)
    source.write('\u001e{"first":true}\n')
    await expect(records.next()).resolves.toEqual({ done: false, value: { first: true } })
    source.write('\u001e{"second":')
    const second = records.next()
    source.write('true}\n')
    await expect(second).resolves.toEqual({ done: false, value: { second: true } })
    source.close()
    await expect(records.next()).resolves.toEqual({ done: true, value: undefined })
  })

  test('waits for the rest of a pretty-printed record that contains line feeds', async () => {
    await expect(collect(['\u001e{\n  "a": [\n', '1]\n}\n', '\u001e2\n'])).resolves.toEqual([{ a: [1] }, 2])
  })

  test('throws a SyntaxError for a complete record that is not JSON', async () => {
    await expect(collect(['\u001e{"a":\n\u001e1\n'])).rejects.toThrow(/Malformed record in a JSON text sequence/)
  })

  test('cancels the body when the reader returns early', async () => {
    const source = controlledBody()
    const records = readJsonSeq(source.body)
    source.write('\u001e1\n\u001e2\n')
    await records.next()
    await records.return()
    expect(source.cancelled).toBe(true)
  })
})
