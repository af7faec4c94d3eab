/**
 * The server log (docs/websocket.md, "Logging"): lifecycle events and unexpected errors, written
 * through an injectable `Logger`. A line never holds a message body, params, a query string, a
 * cookie or a header value other than a shortened user-agent.
 *
 * @module
 */
import { debugByDefault } from './debug.js'
import { describeThrown } from './thrown.js'

/** What a log line carries besides its message, for structured loggers. `event` names the event. */
export interface LogFields {
  /** `listening`, `ws.open`, `ws.close`, `ws.refuse`, `ws.pong-timeout`, `ws.frame-error`, `error`, `shutdown.start` or `shutdown.end`. */
  event: string
  [field: string]: unknown
}

/**
 * Where the server writes its log: `console` fits, and so does any logger whose methods take the
 * message first (winston, `consola`). Each message is one self-contained line; `fields` repeats its
 * values for structured loggers. For pino, whose methods take the object first, pass
 * `{ info: (m, f) => log.info(f, m), warn: (m, f) => log.warn(f, m), error: (m, f) => log.error(f, m) }`.
 */
export interface Logger {
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

/**
 * The `logger` option: a `Logger`, `true` for one concise line per event on the console (stdout for
 * info, stderr for warnings and errors), or `false` for none.
 */
export type LoggerOption = Logger | boolean

/** `logger: true`: `[wirerpc] <message>`, and the stack after an error's line when there is one. */
export const consoleLogger: Logger = {
  info: (message) => console.info(`[wirerpc] ${message}`),
  warn: (message) => console.warn(`[wirerpc] ${message}`),
  error: (message, fields) => console.error(`[wirerpc] ${message}${typeof fields?.['stack'] === 'string' ? `\n${fields['stack']}` : ''}`),
}

const safeLoggers = new WeakSet<Logger>()

/** The logger to write to, or undefined for none. A logger that throws never breaks the server. */
export function resolveLogger(option: LoggerOption | undefined): Logger | undefined {
  if (!option) return undefined
  const logger = option === true ? consoleLogger : option
  if (safeLoggers.has(logger)) return logger
  const call = (level: keyof Logger) => (message: string, fields?: LogFields) => {
    try {
      logger[level](message, fields)
    } catch {
      // A broken logger must not turn a log line into a failed request.
    }
  }
  const safe: Logger = { info: call('info'), warn: call('warn'), error: call('error') }
  safeLoggers.add(safe)
  return safe
}

/**
 * The `onError` to call: the user's, else `console.error` when no logger is set (as before the
 * logger existed), else nothing, since the logger's `error` line reports it. What the user's
 * throws goes to the logger, or the console without one: it never reaches the caller.
 */
export function defaultOnError(
  onError: ((error: unknown, request: Request) => void) | undefined,
  logger: Logger | undefined,
  site: string,
): (error: unknown, request: Request) => void {
  if (onError) {
    return (error, request) => {
      try {
        onError(error, request)
      } catch (failure) {
        if (logger) logError(logger, failure, 'onError')
        else printError(failure, 'onError')
      }
    }
  }
  if (logger) return () => {}
  return (error) => printError(error, site)
}

/**
 * `console.error` of an unexpected error, as the value itself (an Error prints its cause, its own
 * properties); a value that console.error cannot print (its custom inspect throws) as its description.
 */
export function printError(error: unknown, site: string): void {
  try {
    console.error(`[wirerpc] unexpected error in ${site}:`, error)
  } catch {
    const { name, message, stack } = describeThrown(error)
    console.error(`[wirerpc] unexpected error in ${site}: ${stack ?? (message || name)}`)
  }
}

/**
 * Logs an unexpected error: `unexpected error in <site>: <message>` (src/service/thrown.ts describes
 * it). The stack goes in `fields.stack` unless `NODE_ENV` is `production`.
 */
export function logError(logger: Logger | undefined, error: unknown, site: string, fields: Record<string, unknown> = {}): void {
  if (!logger) return
  const facts = describeThrown(error)
  const message = oneLine(facts.message || facts.name)
  const stack = debugByDefault() ? facts.stack : undefined
  logger.error(`unexpected error in ${site}: ${message}`, { event: 'error', ...fields, error: message, ...(stack ? { stack } : {}) })
}

/** The user-agent, shortened: comments in parentheses dropped, at most 60 characters, printable only. */
export function shortUserAgent(headers: Headers): string | undefined {
  const value = headers.get('user-agent')
  if (!value) return undefined
  const short = oneLine(value.replace(/\([^)]*\)/g, ' ')).replace(/\s+/g, ' ').trim()
  return short.length > 60 ? `${short.slice(0, 59)}…` : short || undefined
}

/** A duration for a log line: `0.42s`, `12.3s`, `4m05s`. */
export function duration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)}s`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
}

/** `1 call`, `2 calls`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/** Control characters (line breaks among them) become spaces, so that one event stays one line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
}
