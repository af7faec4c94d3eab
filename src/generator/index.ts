/**
 * `wirerpc/generator`: the programmatic generator API for build tools (docs/generator.md).
 *
 * @module
 */
export { generate, createGenerator } from './generate.js'
export type { GeneratorOptions, GenerateResult, Generator } from './generate.js'
export { formatDiagnostic } from './diagnostics.js'
export type { Diagnostic } from './diagnostics.js'
