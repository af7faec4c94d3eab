/**
 * `wirerpc/config`: `defineConfig` for a `wirerpc.config.ts` file. The generator reads it; the
 * options below are the ones the manifests need (docs/manifest.md).
 *
 * @module
 */

export interface Config {
  /** Globs (relative to `root`) of the route modules to read. */
  include: string | readonly string[]
  /**
   * Folder the globs and output paths are relative to.
   * @default the config file's folder (with the `wirerpc` command), or `process.cwd()` (with `generate()`)
   */
  root?: string
  /** Where the server manifest is written. @default './server/generated/api.ts' */
  serverOutFile?: string
  /** Where the client manifest is written. @default './client/generated/api.ts' */
  clientOutFile?: string
  /** The tsconfig whose compiler options the generator uses. @default './tsconfig.json' */
  tsConfigFile?: string
  /** A version segment put in front of every route path, such as `v1`. @default '' */
  versionPrefix?: string
}

/** Returns `config` unchanged; it exists so that editors type-check the config file. */
export function defineConfig<const T extends Config | readonly Config[]>(config: T): T {
  return config
}
