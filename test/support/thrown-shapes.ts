// Every shape of value user code can throw that once broke a server's error path, made fresh by
// name: values that are not Errors, objects whose reads or conversions throw, Proxies, an Error
// whose message cannot be read, and HTTP errors real and look-alike. Shared by the unit tests of
// src/service/thrown.ts and the route module of test/reliability/thrown-values.test.ts.
import { UnauthorizedError } from 'wirerpc/service'

/** Throws a value that is itself no Error, from a getter, trap or conversion. */
const boom = (): never => {
  throw Object.create(null)
}

const everyTrapThrows: Required<ProxyHandler<object>> = {
  apply: boom,
  construct: boom,
  defineProperty: boom,
  deleteProperty: boom,
  get: boom,
  getOwnPropertyDescriptor: boom,
  getPrototypeOf: boom,
  has: boom,
  isExtensible: boom,
  ownKeys: boom,
  preventExtensions: boom,
  set: boom,
  setPrototypeOf: boom,
}

class UnreadableMessageError extends Error {}
Object.defineProperty(UnreadableMessageError.prototype, 'message', { get: boom })

const HTTP_ERROR = Symbol.for('wirerpc.HttpError')

export const SHAPES = {
  null: () => null,
  undefined: () => undefined,
  symbol: () => Symbol('thrown'),
  number: () => 42,
  string: () => 'a thrown string',
  nullPrototype: () => Object.create(null) as object,
  throwingGetters: () => Object.defineProperties({}, { message: { get: boom }, name: { get: boom }, stack: { get: boom } }),
  throwingConversions: () => ({
    toString: boom,
    valueOf: boom,
    toJSON: boom,
    [Symbol.toPrimitive]: boom,
    // What console.error calls to print an object.
    [Symbol.for('nodejs.util.inspect.custom')]: boom,
    get [Symbol.toStringTag](): string {
      return boom()
    },
  }),
  revokedProxy: () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    return proxy
  },
  trappedProxy: () => new Proxy({}, everyTrapThrows),
  unreadableMessageError: () => new UnreadableMessageError(),
  httpError: () => new UnauthorizedError('Sign in first.'),
  httpErrorLookalike: () => ({ [HTTP_ERROR]: true, status: 401, message: 'Sign in first.', headers: new Headers() }),
  brokenHttpErrorLookalike: () => ({
    [HTTP_ERROR]: true,
    get status(): number {
      return boom()
    },
  }),
} satisfies Record<string, () => unknown>

export type Shape = keyof typeof SHAPES

export const SHAPE_NAMES = Object.keys(SHAPES) as Shape[]

/** Shapes answered as the HTTP error they are (401), not as unexpected errors. */
export const HTTP_SHAPES: ReadonlySet<Shape> = new Set(['httpError', 'httpErrorLookalike'])

/** A fresh value of `shape`. */
export function shape(name: string): unknown {
  const make = (SHAPES as Record<string, () => unknown>)[name]
  if (!make) throw new TypeError(`Unknown shape "${name}".`)
  return make()
}

/** Throws a fresh value of `shape` (a function, so that a `finally` block may call it). */
export function throwShape(name: string): never {
  throw shape(name)
}
