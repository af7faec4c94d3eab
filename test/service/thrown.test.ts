// src/service/thrown.ts: every thrown shape is described without throwing, and the HTTP error,
// Response and resync checks never throw either.
import { describe, expect, it } from 'vitest'
import { HttpError, ResyncRequiredError } from 'wirerpc/service'
import { describeThrown, thrownHttpError, thrownResponse, thrownResync } from '../../src/service/thrown.js'
import { SHAPE_NAMES, shape } from '../support/thrown-shapes.js'

describe('describeThrown', () => {
  const described = {
    null: { name: 'null', message: 'Non-Error thrown: null' },
    undefined: { name: 'undefined', message: 'Non-Error thrown: undefined' },
    symbol: { name: 'symbol', message: 'Non-Error thrown: Symbol(thrown)' },
    number: { name: 'number', message: 'Non-Error thrown: 42' },
    string: { name: 'string', message: 'Non-Error thrown: a thrown string' },
    nullPrototype: { name: 'object', message: 'Non-Error thrown: an object with no prototype' },
    throwingGetters: { name: 'object', message: 'Non-Error thrown: an object' },
    throwingConversions: { name: 'object', message: 'Non-Error thrown: an object' },
    revokedProxy: { name: 'object', message: 'Non-Error thrown: an object that cannot be read' },
    trappedProxy: { name: 'object', message: 'Non-Error thrown: an object that cannot be read' },
    unreadableMessageError: { name: 'Error', message: '' },
    httpError: { name: 'UnauthorizedError', message: 'Sign in first.' },
    httpErrorLookalike: { name: 'Error', message: 'Sign in first.' },
    brokenHttpErrorLookalike: { name: 'object', message: 'Non-Error thrown: an object' },
  }

  it.each(SHAPE_NAMES)('describes %s without throwing', (name) => {
    const facts = describeThrown(shape(name))
    expect({ name: facts.name, message: facts.message }).toEqual(described[name])
    expect(facts.stack === undefined || typeof facts.stack === 'string').toBe(true)
  })

  it("keeps an Error's stack", () => {
    expect(describeThrown(new TypeError('bad')).stack).toMatch(/^TypeError: bad\n/)
  })

  it('describes an object with a string message as an error (an error of another realm)', () => {
    expect(describeThrown({ name: 'RemoteError', message: 'far away', stack: 'RemoteError: far away\n    at x' })).toEqual({
      name: 'RemoteError',
      message: 'far away',
      stack: 'RemoteError: far away\n    at x',
    })
  })

  it('names the class of other objects and never calls their conversions', () => {
    class Thing {
      toString(): string {
        throw new Error('called')
      }
    }
    expect(describeThrown(new Thing()).message).toBe('Non-Error thrown: an object of class Thing')
    expect(describeThrown(function named() {}).message).toBe('Non-Error thrown: a function (named)')
    expect(describeThrown('').message).toBe('Non-Error thrown: an empty string')
    expect(describeThrown(10n).message).toBe('Non-Error thrown: 10')
  })
})

describe('thrownHttpError, thrownResponse, thrownResync', () => {
  it.each(SHAPE_NAMES)('never throw on %s', (name) => {
    const value = shape(name)
    expect(() => [thrownHttpError(value), thrownResponse(value), thrownResync(value), HttpError.is(value), ResyncRequiredError.is(value)]).not.toThrow()
  })

  it('read a real HTTP error and a well-formed look-alike, and refuse a broken one', () => {
    expect(thrownHttpError(shape('httpError'))).toMatchObject({ status: 401, message: 'Sign in first.' })
    expect(thrownHttpError(shape('httpErrorLookalike'))).toMatchObject({ status: 401, message: 'Sign in first.' })
    expect(thrownHttpError(shape('brokenHttpErrorLookalike'))).toBeUndefined()
    expect(thrownHttpError({ [Symbol.for('wirerpc.HttpError')]: true, status: 42, message: 'no such status' })).toBeUndefined()
  })

  it('take a real Response only, and a resync error with its fields', () => {
    const response = new Response(null, { status: 204 })
    expect(thrownResponse(response)).toBe(response)
    expect(thrownResponse(Object.create(Response.prototype))).toBeUndefined()
    expect(thrownResync(new ResyncRequiredError('t', '7'))).toEqual({ message: expect.stringContaining('"7"'), lastEventId: '7' })
  })
})
