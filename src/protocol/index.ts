export * from './manifest.js'
export * from './http.js'
export { encodeQuery, decodeQuery } from './query.js'
export { buildPath, parsePathParams } from './path.js'
