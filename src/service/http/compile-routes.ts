/**
 * `compileRoutes(routes, options)`: the server manifest's HTTP routes as one fetch handler
 * `(Request) => Promise<Response>` that runs on any runtime with web-standard `Request`/`Response`.
 *
 * Request pipeline: CORS preflight → prefix → route match (404/405) → middleware → path params
 * and data (validated) → handler → result to response → response headers and `onResponse` hooks →
 * CORS headers → HEAD strips the body. Nothing a client sends can make it throw.
 *
 * @module
 */
import { debugByDefault } from '../debug.js'
import type { ServerHttpRoute, ServerManifest } from '../../protocol/manifest.js'
import { QUERY_METHODS } from '../../protocol/manifest.js'
import { FastResponse } from 'srvx'
import { createContext, type RequestContext } from '../context.js'
import { DEFAULT_MAX_DEPTH } from '../json-depth.js'
import { defaultOnError, logError, resolveLogger, type LoggerOption } from '../log.js'
import { runMiddleware } from '../middleware.js'
import type { HttpRouteDefinition } from '../route.js'
import { createCors, type CorsOptions } from './cors.js'
import { readBody, readQuery } from './request-data.js'
import { errorToResponse, resultToResponse, withHeaders, type ErrorOptions } from './respond.js'
import { createRouterFor } from './router.js'
import { badRequest, compileValidator, type DataValidator } from './validate.js'

export interface CompileRoutesOptions {
  /** Path under which the routes are served, such as `/api/`. @default '/' */
  prefix?: string
  /** Cross-origin access for browsers. @default undefined (no CORS headers: same-origin only) */
  cors?: CorsOptions
  /** Largest request body read, in bytes; larger bodies get 413. @default 1_048_576 (1 MiB) */
  maxBodySize?: number
  /**
   * Deepest nesting of arrays and objects a JSON body may have, checked on the text before
   * parsing; deeper is a 400. The same rule (and option) as WebSocket messages. @default 64
   */
  maxDepth?: number
  /**
   * Send the message and stack of unexpected errors in 500 bodies (and in stream error records).
   * @default process.env.NODE_ENV !== 'production'
   */
  debug?: boolean
  /**
   * Called with every unexpected error a handler or middleware throws.
   * @default console.error, or nothing when a `logger` is set (its `error` line reports the error)
   */
  onError?: (error: unknown, request: Request) => void
  /**
   * Where to log unexpected errors, with the route's name (docs/websocket.md, "Logging"): a `Logger`
   * (`console` fits), `true` for concise console lines, `false` for none. @default false
   */
  logger?: LoggerOption
  /**
   * Answers the requests whose path matches no route (outside the prefix, or inside it with no
   * route at that path): a page, static files, a single-page app. Errors it throws are answered
   * like a handler's. @default undefined (a 404 with a JSON message)
   */
  fallback?: (request: Request) => Response | Promise<Response>
}

/** A fetch handler. `info.ip` overrides the client address (adapters pass it). */
export type FetchHandler = (request: Request, info?: { ip?: string }) => Promise<Response>

/** Default `maxBodySize`: 1 MiB, as Fastify and Socket.IO. */
export const DEFAULT_MAX_BODY_SIZE = 1024 * 1024

interface CompiledRoute {
  readonly entry: ServerHttpRoute
  readonly validatePath: DataValidator | undefined
  readonly validateData: DataValidator | undefined
  /** Error handling that names this route in the log. */
  readonly errors: ErrorOptions
  definition: Promise<HttpRouteDefinition> | undefined
}

export function compileRoutes(routes: ServerManifest, options: CompileRoutesOptions = {}): FetchHandler {
  const prefix = normalizePrefix(options.prefix ?? '/')
  const maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH
  const debug = options.debug ?? debugByDefault()
  const logger = resolveLogger(options.logger)
  const onError = defaultOnError(options.onError, logger, 'a route')
  /** The error options for one place (`http route "name"`, `fallback`): `onError`, then the log. */
  const errorsIn = (site: string, route?: string): ErrorOptions => ({
    debug,
    onError: logger
      ? (error, request) => {
          onError(error, request)
          logError(logger, error, site, { route })
        }
      : onError,
  })
  const errors = errorsIn('an HTTP request')
  const fallbackErrors = errorsIn('fallback')
  const cors = options.cors && createCors(options.cors)
  const router = createRouterFor(compileEntries(routes, errorsIn))

  async function handle(request: Request, url: URL, ip: string): Promise<Response> {
    const preflight = cors?.preflight(request)
    if (preflight) return preflight
    if (!url.pathname.startsWith(prefix) && url.pathname !== prefix.slice(0, -1)) return unmatched(request, url)
    const path = '/' + url.pathname.slice(prefix.length)
    const match = router.match(request.method, path)
    if (!match) {
      const allowed = router.allowedMethods(path)
      if (allowed.length === 0) return unmatched(request, url)
      const headers = { allow: allowed.join(', ') }
      if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers })
      return FastResponse.json({ message: `Method ${request.method} is not allowed on ${url.pathname}; use ${allowed.join(', ')}.` }, { status: 405, headers })
    }
    const { context, responseHooks, responseHeaders } = createContext(request, url, ip)
    const { errors } = match.route
    let response: Response
    try {
      response = await runRoute(match.route, match.params, request, url, context)
    } catch (error) {
      response = errorToResponse(error, errors, request)
    }
    const headers = responseHeaders()
    if (headers) response = withHeaders(response, headers)
    for (const hook of responseHooks) {
      try {
        response = (await hook(response)) ?? response
      } catch (error) {
        response = errorToResponse(error, errors, request)
      }
    }
    return response
  }

  async function unmatched(request: Request, url: URL): Promise<Response> {
    if (!options.fallback) return notFound(url)
    try {
      return await options.fallback(request)
    } catch (error) {
      return errorToResponse(error, fallbackErrors, request)
    }
  }

  async function runRoute(route: CompiledRoute, rawParams: Record<string, string>, request: Request, url: URL, ctx: RequestContext): Promise<Response> {
    const definition = await loadDefinition(route)
    const shortCircuit = await runMiddleware(definition.middleware, ctx)
    if (shortCircuit) return shortCircuit
    const { entry } = route
    const params = readPathParams(route, rawParams)
    let data = QUERY_METHODS.has(entry.method) ? readQuery(url) : await readBody(request, entry.bodyFormat ?? 'json', { maxBodySize, maxDepth })
    if (route.validateData) data = route.validateData(data, QUERY_METHODS.has(entry.method) ? 'query' : 'body')
    const values = entry.pathParams.map((name) => params[name])
    const args = values.length === 0 ? [data, ctx] : values.length === 1 ? [values[0], data, ctx] : [values, data, ctx]
    const result = await Reflect.apply(definition.handler, definition, args)
    return resultToResponse(result, ctx.response.status, route.errors, request)
  }

  return async (request, info) => {
    let response: Response
    try {
      const url = requestUrl(request)
      response = url ? await handle(request, url, info?.ip ?? (request as { ip?: string }).ip ?? '') : badUrl()
    } catch (error) {
      // Only a bug in wirerpc itself gets here; still answer rather than crash the server.
      response = errorToResponse(error, errors, request)
    }
    if (cors) response = withHeaders(response, corsHeaders(cors, request))
    if (request.method === 'HEAD' && response.body) {
      await response.body.cancel().catch(() => {})
      response = new Response(null, response)
    }
    return response
  }
}

function compileEntries(routes: ServerManifest, errorsIn: (site: string, route: string) => ErrorOptions) {
  const seen = new Map<string, string>()
  const entries: { method: ServerHttpRoute['method']; path: string; route: CompiledRoute }[] = []
  for (const entry of routes) {
    if (entry.protocol !== 'http') continue
    const key = `${entry.method} ${entry.path}`
    const other = seen.get(key)
    if (other) throw new TypeError(`Routes "${other}" and "${entry.name}" both answer ${key}; give one of them another path or method.`)
    seen.set(key, entry.name)
    const route: CompiledRoute = {
      entry,
      validatePath: entry.pathSchema && compileValidator(entry.pathSchema),
      validateData: entry.requestSchema && compileValidator(entry.requestSchema),
      errors: errorsIn(`http route ${JSON.stringify(entry.name)}`, entry.name),
      definition: undefined,
    }
    entries.push({ method: entry.method, path: entry.path, route })
  }
  return entries
}

function loadDefinition(route: CompiledRoute): Promise<HttpRouteDefinition> {
  route.definition ??= route.entry.import().then((definition) => {
    if (definition?.protocol !== 'http' || typeof definition.handler !== 'function') {
      throw new Error(`Route "${route.entry.name}": the manifest's import() did not return an HTTP route definition; regenerate the server manifest.`)
    }
    return definition as HttpRouteDefinition
  })
  // A failed import is retried on the next request instead of failing forever.
  route.definition.catch(() => (route.definition = undefined))
  return route.definition
}

function readPathParams(route: CompiledRoute, raw: Record<string, string>): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const name of route.entry.pathParams) {
    const value = raw[name] ?? ''
    const isRest = route.entry.path.includes(`*${name}`)
    params[name] = isRest && wantsArray(route.entry, name) ? value.split('/').filter(Boolean).map(decodeSegment) : decodeSegment(value)
  }
  return route.validatePath ? (route.validatePath(params, 'path') as Record<string, unknown>) : params
}

function wantsArray(entry: ServerHttpRoute, name: string): boolean {
  const property = (entry.pathSchema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties?.[name]
  return property?.type === 'array'
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw badRequest({ message: `Invalid path: "${segment}" is not valid percent-encoding.`, in: 'path' })
  }
}

function normalizePrefix(prefix: string): string {
  const withLeading = prefix.startsWith('/') ? prefix : `/${prefix}`
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`
}

/** The request's URL, or undefined when the client's `Host` and request target make none (a port over 65535…). */
function requestUrl(request: Request): URL | undefined {
  try {
    return new URL(request.url)
  } catch {
    return undefined
  }
}

function badUrl(): Response {
  return FastResponse.json({ message: 'Bad request: the Host header and the request target do not make a valid URL.' }, { status: 400 })
}

function notFound(url: URL): Response {
  return FastResponse.json({ message: `No route matches ${url.pathname}; check the path and the API prefix.` }, { status: 404 })
}

function corsHeaders(cors: ReturnType<typeof createCors>, request: Request): Headers {
  const headers = new Headers()
  cors.apply(request, headers)
  return headers
}
