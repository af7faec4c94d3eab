/**
 * Whether error details (messages, stacks) may be sent to clients by default.
 *
 * @module
 */

/** True unless `NODE_ENV` is `production`; read without importing Node, for any runtime. */
export function debugByDefault(): boolean {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['NODE_ENV'] !== 'production'
}
