/**
 * `wirerpc/node`: serve a server manifest from Node.js.
 *
 * @module
 */
export { serve } from './serve.js'
export type { ServeOptions, RunningServer } from './serve.js'
export { createFilePubSub } from './file-pubsub.js'
export type { FilePubSubOptions } from './file-pubsub.js'
export type { Logger, LogFields, LoggerOption } from '../service/log.js'
