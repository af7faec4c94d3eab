// src/client/errors.ts: an error body whose message is not a string (a hostile or broken server)
// still builds an HTTPError, without quoting it.
import { describe, expect, it } from 'vitest'
import { HTTPError } from 'wirerpc/client'

describe('HTTPError.from', () => {
  it('quotes a string message and leaves out any other', async () => {
    const request = new Request('http://127.0.0.1/posts')
    const quoted = await HTTPError.from(request, Response.json({ message: 'Gone fishing.' }, { status: 503 }))
    expect(quoted.message).toBe('GET http://127.0.0.1/posts failed with status 503: Gone fishing.')
    // `{"toString": 1}` makes a template literal throw: it must never reach one.
    const odd = await HTTPError.from(request, Response.json({ message: { toString: 1 } }, { status: 500 }))
    expect(odd).toBeInstanceOf(HTTPError)
    expect(odd.message).toBe('GET http://127.0.0.1/posts failed with status 500')
    expect(odd.body).toEqual({ message: { toString: 1 } })
  })
})
