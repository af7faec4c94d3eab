// Type-checks code blocks with one TypeScript program: each block is a virtual module in a sample
// project (test/docs/fixtures/<project>/), served from memory; everything else is read from disk.
import path from 'node:path'
import ts from 'typescript'
import type { CodeBlock } from './extract.js'
import { absolute, fixturesDir, projectOf, repoRoot } from './projects.js'

/** The app-level stand-ins (`db`, `client`, …) that blocks use without defining them. */
export const preludeFile = path.join(fixturesDir, 'prelude.ts')

/** A first line such as `// routes/live.ts` places the block at that path in the sample project. */
const NAMED_FILE = /^\/\/\s+((?:[\w.-]+\/)*[\w.-]+\.m?ts)\s*$/

export interface BlockResult {
  block: CodeBlock
  /** Where the block was checked, relative to test/docs/fixtures/. */
  virtualFile: string
  /** `file:line:column - error TSxxxx: message`, with markdown line numbers. */
  diagnostics: string[]
}

export interface CheckResult {
  results: BlockResult[]
  /** Problems outside the blocks (compiler options, the prelude's globals): the check itself is broken. */
  setup: string[]
}

/** Where a block is checked: at the path its first-line comment names, else at its project's root. */
export function virtualPathOf(block: CodeBlock): string {
  const named = NAMED_FILE.exec(block.code.split('\n', 1)[0]!.trim())
  const dir = named ? path.dirname(named[1]!) : '.'
  return absolute(projectOf(block.file), path.join(dir, `${block.file.replace(/[\\/]/g, '-')}-L${block.line}.ts`))
}

/** The compiler options of the repository's tsconfig.json (its `paths` included), for checking only. */
export function compilerOptions(): ts.CompilerOptions {
  const configFile = path.join(repoRoot, 'tsconfig.json')
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile)
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot, undefined, configFile)
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // Every block is a module of its own, even one without import or export.
    moduleDetection: ts.ModuleDetectionKind.Force,
  }
}

/**
 * The prelude's exports as globals: `declare global { const db: typeof import('./prelude.js').db }`,
 * so that a block's own declaration of the same name shadows the stand-in instead of clashing.
 * The prelude itself stays a module, so it adds no global to the repository's own type check.
 */
export function globalsOf(preludeText: string): string {
  const source = ts.createSourceFile(preludeFile, preludeText, ts.ScriptTarget.ES2022, true)
  const from = `import('./${path.basename(preludeFile).replace(/\.ts$/, '.js')}')`
  const lines: string[] = []
  const exported = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  for (const statement of source.statements) {
    if (!exported(statement)) continue
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const name = declaration.name.getText(source)
        lines.push(`  const ${name}: typeof ${from}.${name}`)
      }
    } else if (ts.isFunctionDeclaration(statement) && statement.name) {
      const name = statement.name.text
      if (!lines.some((line) => line.includes(` ${name}:`))) lines.push(`  const ${name}: typeof ${from}.${name}`)
    } else if ((ts.isTypeAliasDeclaration(statement) || ts.isInterfaceDeclaration(statement)) && statement.name) {
      const name = statement.name.text
      const parameters = statement.typeParameters?.map((parameter) => parameter.getText(source)) ?? []
      const names = statement.typeParameters?.map((parameter) => parameter.name.text) ?? []
      const generic = (list: string[]) => (list.length > 0 ? `<${list.join(', ')}>` : '')
      lines.push(`  type ${name}${generic(parameters)} = ${from}.${name}${generic(names)}`)
    } else {
      throw new Error(`${preludeFile}: export only consts, functions, types and interfaces from the prelude (line ${source.getLineAndCharacterOfPosition(statement.getStart(source)).line + 1}).`)
    }
  }
  return `// Generated from prelude.ts by test/docs/check.ts.\nexport {}\ndeclare global {\n${lines.join('\n')}\n}\n`
}

/** Type-checks `blocks` (the skipped ones included: the caller decides what to report). */
export function checkBlocks(blocks: readonly CodeBlock[]): CheckResult {
  const options = compilerOptions()
  const files = new Map<string, string>()
  const globalsFile = path.join(fixturesDir, 'prelude-globals.d.ts')
  files.set(globalsFile, globalsOf(ts.sys.readFile(preludeFile) ?? ''))
  const placed = blocks.map((block) => {
    const file = virtualPathOf(block)
    if (files.has(file)) throw new Error(`Two blocks would be checked as ${file}.`)
    files.set(file, block.code)
    return { block, file }
  })
  const directories = new Set([...files.keys()].map((file) => path.dirname(file)))

  const host = ts.createCompilerHost(options, true)
  const { getSourceFile, fileExists, readFile, directoryExists } = host
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = files.get(path.normalize(fileName))
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true)
    return getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate)
  }
  host.fileExists = (fileName) => files.has(path.normalize(fileName)) || fileExists.call(host, fileName)
  host.readFile = (fileName) => files.get(path.normalize(fileName)) ?? readFile.call(host, fileName)
  host.directoryExists = (name) => directories.has(path.normalize(name)) || (directoryExists?.call(host, name) ?? ts.sys.directoryExists(name))

  const program = ts.createProgram({ rootNames: [globalsFile, ...placed.map(({ file }) => file)], options, host })
  const format = (diagnostic: ts.Diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
  const globals = program.getSourceFile(globalsFile)!
  const setup = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(globals),
    ...program.getSemanticDiagnostics(globals),
  ].map((diagnostic) => {
    const at = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : undefined
    const where = diagnostic.file ? `${path.relative(repoRoot, diagnostic.file.fileName)}${at ? `:${at.line + 1}:${at.character + 1}` : ''} - ` : ''
    return `${where}error TS${diagnostic.code}: ${format(diagnostic)}`
  })

  const results = placed.map(({ block, file }): BlockResult => {
    const source = program.getSourceFile(file)!
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((diagnostic) => {
      const at = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
      return `${block.file}:${block.line + at.line}:${at.character + 1 + block.indent} - error TS${diagnostic.code}: ${format(diagnostic)}`
    })
    return { block, virtualFile: path.relative(fixturesDir, file), diagnostics }
  })
  return { results, setup }
}
