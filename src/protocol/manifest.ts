/**
 * The two manifests the generator emits (docs/manifest.md). The server manifest is an array of
 * `ServerRoute` entries with runtime schemas and lazy imports; the client manifest is a module of
 * `ClientRoute` constants whose phantom call signature types the generated client.
 *
 * @module
 */

/** HTTP methods a route may declare. GET routes also answer HEAD; OPTIONS is answered for you. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'

/** The methods whose `data` comes from the query string rather than the body. */
export const QUERY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE'])

/**
 * How a route's result travels:
 * - `json`: one JSON value (`application/json`);
 * - `json-seq`: an async generator streamed as a JSON text sequence (RFC 7464);
 * - `response`: a raw `Response` the handler built itself.
 */
export type ResultFormat = 'json' | 'json-seq' | 'response'

/**
 * How a POST/PUT/PATCH body reaches the handler:
 * - `json` (default): parsed, validated against `requestSchema`; other content types get 415;
 * - `raw`: `multipart/form-data` and `application/x-www-form-urlencoded` bodies arrive as
 *   `FormData`, anything else as a `Blob`, with no schema check.
 */
export type BodyFormat = 'json' | 'raw'

/**
 * The WebSocket call pattern, decided by the handler's return type: `n` notification (void),
 * `r` request-response (a JSON value), `s` subscription (an async iterable).
 */
export type WsPattern = 'n' | 'r' | 's'

/** What a route module exports: the object `route(...).get(...)` or `route.ws(...)` returned. */
export interface RouteDefinitionLike {
  readonly protocol: 'http' | 'ws'
  readonly handler: (...args: any[]) => unknown
}

/**
 * A JSON Schema, as the generator emits it (plain objects) or as TypeBox builders make it. A
 * `Date` is `{ type: 'string', format: 'date-time', 'x-date': true }`.
 */
export type Schema = object

/** One HTTP route in the server manifest. */
export interface ServerHttpRoute {
  readonly protocol: 'http'
  /** The exported name (`ns.name` for routes inside exported namespaces). */
  readonly name: string
  readonly method: HttpMethod
  /** Path pattern with a leading slash, relative to the `prefix`: `/posts/:id`, `/files/*rest`. */
  readonly path: string
  /** Names of the path parameters in the order they appear in `path`. */
  readonly pathParams: readonly string[]
  /** Object schema for the path parameters (values are coerced from strings by type). */
  readonly pathSchema?: Schema
  /** Schema for `data`: the query (GET/HEAD/DELETE) or the JSON body. Absent: any JSON object. */
  readonly requestSchema?: Schema
  /** @default 'json' */
  readonly bodyFormat?: BodyFormat
  /** Loads the route module and returns this route's definition. Called once, on first use. */
  readonly import: () => Promise<RouteDefinitionLike>
}

/** One WebSocket route in the server manifest (runtime comes with the WebSocket issue). */
export interface ServerWsRoute {
  readonly protocol: 'ws'
  readonly name: string
  readonly pattern: WsPattern
  /** Tuple schema of the positional parameters (optional and rest parameters included). */
  readonly paramsSchema?: Schema
  readonly import: () => Promise<RouteDefinitionLike>
}

export type ServerRoute = ServerHttpRoute | ServerWsRoute

/** The server manifest: the generated `server/api.ts` default-exports one of these. */
export type ServerManifest = readonly ServerRoute[]

/** One HTTP route in the client manifest. */
export interface ClientHttpRoute {
  readonly protocol: 'http'
  readonly method: HttpMethod
  /** Path pattern without a leading slash, resolved against `prefixUrl`: `posts/:id`. */
  readonly path: string
  readonly pathParams: readonly string[]
  readonly format: ResultFormat
  /** 1: the call takes only `options`; 2: it takes `(params, options?)`. */
  readonly arity: 1 | 2
}

/** One WebSocket route in the client manifest. */
export interface ClientWsRoute {
  readonly protocol: 'ws'
  readonly pattern: WsPattern
  /** The method name sent on the wire (the exported route name). */
  readonly name: string
  /**
   * How many positional parameters the route declares (a rest parameter excluded): the call's
   * options argument, when given, comes right after them.
   */
  readonly arity: number
  /** The route ends with a rest parameter: every argument is a parameter, and there are no options. */
  readonly rest?: boolean
}

/** One push event in the client manifest (a route module's `pushEvent<T>(name)`): server → client. */
export interface ClientPushEvent {
  readonly protocol: 'push'
  /** The event's name on the wire (`$/push` params `event`). */
  readonly name: string
}

export type ClientRouteInfo = ClientHttpRoute | ClientWsRoute | ClientPushEvent

declare const callSignature: unique symbol

/**
 * A client manifest entry. `TCall` is what the client exposes for this entry: the typed function
 * of a route, or the `PushSource<T>` of a push event. It exists only in the type system (the
 * generator writes `{ … } as Route<(…) => …>`).
 */
export type Route<TCall = (...args: any[]) => any> =
  ClientRouteInfo & { readonly [callSignature]?: TCall }

/** The client manifest: the generated `client/api.ts` module namespace. */
export type ClientManifest = Readonly<Record<string, Route<unknown>>>

/** Extracts the call signature of a client manifest entry. */
export type RouteCall<TRoute> = TRoute extends { readonly [callSignature]?: infer TCall } ? NonNullable<TCall> : never
