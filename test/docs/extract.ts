// Finds the TypeScript code blocks of a markdown file (see docs.test.ts for the conventions).

/** A fenced code block tagged `ts` or `typescript`. */
export interface CodeBlock {
  /** The markdown file, relative to the repository root (`docs/routes.md`). */
  file: string
  /** 1-based markdown line of the block's first code line (the line after the opening fence). */
  line: number
  /** The code, with the fence's indentation removed. */
  code: string
  /** Columns of indentation removed from each line (the fence's), to map columns back. */
  indent: number
  /** Set by `<!-- docs-test: skip (reason) -->` right before the fence. */
  skip: string | undefined
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/
const DIRECTIVE = /<!--\s*docs-test:(.*?)-->/
const SKIP = /^\s*skip\s*\((.*\S.*)\)\s*$/
const TS_TAGS = new Set(['ts', 'typescript'])

/** Every `ts`/`typescript` block of `markdown`; throws on a malformed `docs-test` directive. */
export function extractBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/)
  const blocks: CodeBlock[] = []
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]!)
    if (!open) continue
    const [, indentText = '', marker = '', tag = ''] = open
    const body: string[] = []
    let end = index + 1
    for (; end < lines.length; end++) {
      const line = lines[end]!
      const trimmed = line.trim()
      if (trimmed.startsWith(marker[0]!.repeat(marker.length)) && /^(`+|~+)$/.test(trimmed)) break
      body.push(line)
    }
    if (TS_TAGS.has(tag.toLowerCase())) {
      const indent = indentText.length
      blocks.push({
        file,
        line: index + 2,
        code: body.map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length))).join('\n'),
        indent,
        skip: directiveBefore(file, lines, index),
      })
    }
    index = end
  }
  return blocks
}

/** The skip reason of the `docs-test` comment on the last non-blank line before the fence at `index`. */
function directiveBefore(file: string, lines: string[], index: number): string | undefined {
  let previous = index - 1
  while (previous >= 0 && lines[previous]!.trim() === '') previous--
  const directive = previous >= 0 ? DIRECTIVE.exec(lines[previous]!) : null
  if (!directive) return undefined
  const skip = SKIP.exec(directive[1]!)
  if (!skip) throw new Error(`${file}:${previous + 1}: write the directive as <!-- docs-test: skip (why this block cannot be checked) -->.`)
  return skip[1]!.trim()
}
