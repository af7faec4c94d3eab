// The sample projects in test/docs/fixtures/ that code blocks are checked in (see docs.test.ts).
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CodeBlock } from './extract.js'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url))

export interface SampleProject {
  /** Its folder under fixtures/. */
  dir: string
  /** The markdown files whose blocks are checked in it; the `docs` project takes every other file. */
  markdown: readonly string[]
  /**
   * For a tutorial: where its route module (its first block importing `wirerpc/service`) is copied,
   * so that the manifests are generated from exactly what the tutorial shows.
   */
  routesCopy?: string
  /** What the generator reads and writes, relative to `dir`, as the tutorial's `wirerpc` command says. */
  include: readonly string[]
  serverOut: string
  clientOut: string
}

export const projects: readonly SampleProject[] = [
  { dir: 'readme', markdown: ['README.md'], routesCopy: 'routes.ts', include: ['routes.ts'], serverOut: 'generated/server-api.ts', clientOut: 'generated/client-api.ts' },
  {
    dir: 'getting-started',
    markdown: ['docs/getting-started.md'],
    routesCopy: 'routes/users.ts',
    include: ['routes/**/*.ts'],
    serverOut: 'server/api.ts',
    clientOut: 'client/api.ts',
  },
  // The reference docs share one project: the generator's default outputs, routes/posts.ts and routes/live.ts.
  { dir: 'docs', markdown: [], include: ['routes/**/*.ts'], serverOut: 'server/generated/api.ts', clientOut: 'client/generated/api.ts' },
]

export function projectOf(file: string): SampleProject {
  return projects.find((project) => project.markdown.includes(file)) ?? projects.find((project) => project.dir === 'docs')!
}

/** A tutorial's route module: its first block that imports from `wirerpc/service`. */
export function routesBlockOf(blocks: readonly CodeBlock[], project: SampleProject): CodeBlock | undefined {
  return blocks.find((block) => project.markdown.includes(block.file) && /from 'wirerpc\/service'/.test(block.code))
}

/** What `routesCopy` must hold for `block`. */
export function routesCopyText(block: CodeBlock): string {
  return `// Copied from ${block.file} by test/docs/sync.ts; edit ${block.file}, then run: npx tsx test/docs/sync.ts\n${block.code.trimEnd()}\n`
}

export const absolute = (project: SampleProject, file: string) => path.join(fixturesDir, project.dir, file)
