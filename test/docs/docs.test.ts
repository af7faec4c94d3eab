/**
 * Docs cannot rot: every code block tagged `ts` or `typescript` in README.md and docs/*.md is
 * type-checked with the repository's compiler options (tsconfig.json, `paths` included), in one
 * TypeScript program (check.ts). `sh`, `json` and `text` blocks are not read.
 *
 * Conventions for writing such a block:
 * - It is an ES module of its own (top-level `await` works) in a sample project under
 *   test/docs/fixtures/ (projects.ts): `readme/` for README.md, `getting-started/` for
 *   docs/getting-started.md, `docs/` for the other pages. It sits at the project's root, or at the
 *   path its first line names (`// server/generated/api.ts`), so relative imports reach the
 *   project's files: `./server/generated/api.js` and `./client/generated/api.js` in `docs/` (the
 *   generator's default outputs), the paths each tutorial's `wirerpc` command writes in the others.
 * - A tutorial's manifests are generated from its own route module (its first block importing
 *   `wirerpc/service`), copied into the project: after changing that block, or the `docs/`
 *   project's routes, run `npx tsx test/docs/sync.ts`. The test fails while a copy is stale.
 * - It imports every wirerpc name it uses. The app's own objects that snippets use without
 *   defining them (`db`, `feed`, `sessions`, `client`, `render`, …) are stand-ins declared in
 *   fixtures/prelude.ts, precisely typed; a block's own declaration of the same name wins.
 * - Code that shows a compile error marks it with `// @ts-expect-error`.
 * - `<!-- docs-test: skip (reason) -->` on the line before the fence skips a block that cannot be
 *   TypeScript at all. Skips are rare: at most MAX_SKIPS.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkBlocks, type CheckResult } from './check.js'
import { extractBlocks, type CodeBlock } from './extract.js'
import { absolute, projects, repoRoot, routesBlockOf, routesCopyText } from './projects.js'

/** Most blocks that may carry a skip directive. */
const MAX_SKIPS = 3

const markdownFiles = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)]
const blocks = markdownFiles.flatMap((file) => extractBlocks(file, readFileSync(path.join(repoRoot, file), 'utf8')))
const where = (block: CodeBlock) => `${block.file}, block at line ${block.line}`

/** A tutorial whose route module differs from its copy in the sample project. */
function staleCopy(file: string): string | undefined {
  const project = projects.find((candidate) => candidate.routesCopy && candidate.markdown.includes(file))
  if (!project?.routesCopy) return undefined
  const block = routesBlockOf(blocks, project)
  if (!block) return `${file} has no route module (a block importing from 'wirerpc/service') for test/docs/fixtures/${project.dir}/.`
  const copy = absolute(project, project.routesCopy)
  if (existsSync(copy) && readFileSync(copy, 'utf8') === routesCopyText(block)) return undefined
  return `${where(block)} (the route module) differs from its copy ${path.relative(repoRoot, copy)}: run npx tsx test/docs/sync.ts`
}

describe('docs: TypeScript code blocks type-check', () => {
  let checked: CheckResult
  let duration = 0

  beforeAll(() => {
    const started = performance.now()
    checked = checkBlocks(blocks.filter((block) => block.skip === undefined))
    duration = performance.now() - started
  }, 60_000)

  it('the sample projects, the prelude and the compiler options are sound', () => {
    expect(checked.setup).toEqual([])
  })

  it(`finds the blocks, and skips at most ${MAX_SKIPS}`, () => {
    const skipped = blocks.filter((block) => block.skip !== undefined)
    console.log(
      `docs: type-checked ${checked.results.length} blocks of ${markdownFiles.length} markdown files in ${Math.round(duration)} ms; ${skipped.length} skipped` +
        skipped.map((block) => `\n  skipped ${where(block)}: ${block.skip}`).join(''),
    )
    expect(checked.results.length).toBeGreaterThan(20)
    expect(skipped.length, `skipped blocks (${skipped.map(where).join('; ')}): make them type-check instead`).toBeLessThanOrEqual(MAX_SKIPS)
  })

  for (const file of markdownFiles.filter((name) => blocks.some((block) => block.file === name))) {
    it(file, () => {
      const problems = checked.results
        .filter((result) => result.block.file === file && result.diagnostics.length > 0)
        .map(({ block, diagnostics }) => `${where(block)}:\n${diagnostics.map((line) => `  ${line}`).join('\n')}`)
      const stale = staleCopy(file)
      if (stale) problems.push(stale)
      if (problems.length > 0) throw new Error(`${problems.join('\n\n')}\n\n(conventions: test/docs/docs.test.ts)`)
    })
  }
})
