// Runs the generator on a fixture folder and type-checks what it wrote.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { createGenerator, formatDiagnostic, type GenerateResult, type GeneratorOptions } from '../../src/generator/index.js'

export const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url))

/** The fixtures that generate (not the `error-*` ones): every folder with a usage.ts. */
export const fixtureNames = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith('error-') && existsSync(path.join(fixturesDir, entry.name, 'usage.ts')))
  .map((entry) => entry.name)

/** A fixture's generator options, from its optional options.json. */
export function optionsOf(name: string): Partial<GeneratorOptions> {
  const file = path.join(fixturesDir, name, 'options.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<GeneratorOptions>) : {}
}

export interface FixtureOutput {
  dir: string
  result: GenerateResult
  server: string
  client: string
  /** Errors and warnings as `file:line:column - severity: message`, paths relative to the fixture. */
  messages: string[]
}

/** Generates `fixtures/<name>/generated/{server,client}-api.ts` from the fixture's route modules. */
export async function generateFixture(name: string, options: Partial<GeneratorOptions> = {}): Promise<FixtureOutput> {
  const dir = path.join(fixturesDir, name)
  const generator = createGenerator({
    include: ['routes.ts', 'routes/**/*.ts'],
    root: dir,
    serverOutFile: 'generated/server-api.ts',
    clientOutFile: 'generated/client-api.ts',
    ...options,
    tsConfigFile: path.resolve(dir, options.tsConfigFile ?? path.join(fixturesDir, 'tsconfig.json')),
  })
  const result = await generator.run()
  const read = (file: string) => readFile(path.join(dir, 'generated', file), 'utf8').catch(() => '')
  const relative = (file: string) => path.relative(dir, file)
  return {
    dir,
    result,
    server: await read('server-api.ts'),
    client: await read('client-api.ts'),
    messages: [...result.errors, ...result.warnings].map((diagnostic) => formatDiagnostic(diagnostic, relative)),
  }
}

/** Type-checks files of a fixture (with the fixtures' tsconfig); returns the diagnostics as text. */
export function typecheck(dir: string, files: string[], tsConfigFile = path.join(fixturesDir, 'tsconfig.json')): string[] {
  const config = ts.readConfigFile(path.resolve(dir, tsConfigFile), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, fixturesDir, undefined, path.resolve(dir, tsConfigFile))
  const program = ts.createProgram({ rootNames: files.map((file) => path.join(dir, file)), options: parsed.options })
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    if (!diagnostic.file || diagnostic.start === undefined) return message
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    return `${path.relative(dir, diagnostic.file.fileName)}:${line + 1}: ${message}`
  })
}
