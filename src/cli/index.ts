#!/usr/bin/env node
/**
 * The `wirerpc` command: generates the server and client manifests once, or keeps them up to date
 * with `--watch`. Usage and flags: docs/generator.md (or `wirerpc --help`).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { createGenerator, type Generator } from '../generator/index.js'
import { helpText, parseCliArgs, UsageError, type CliCommand, type CliFlags } from './args.js'
import { ConfigError, resolveApis } from './config.js'
import { consoleOutput, errorLine, relativeTo, reportRun, type Output } from './report.js'
import { watchGenerators } from './watch.js'

async function main(argv: readonly string[], cwd: string, output: Output): Promise<number> {
  let command: CliCommand
  try {
    command = parseCliArgs(argv)
  } catch (error) {
    return fail(error, output)
  }
  if (command.kind === 'help') {
    output.out(helpText)
    return 0
  }
  if (command.kind === 'version') {
    output.out(packageVersion())
    return 0
  }

  const { flags } = command
  let project: Project
  try {
    project = await loadProject(flags, cwd)
  } catch (error) {
    return fail(error, output)
  }

  const run = async (generator: Generator): Promise<boolean> => {
    try {
      return reportRun(await generator.run(), generator.options, cwd, output)
    } catch (error) {
      // Not a problem in the routes (those are in the result): a missing `typescript`, a write that failed.
      output.err(errorLine(error))
      return false
    }
  }
  let ok = true
  for (const generator of project.generators) ok = (await run(generator)) && ok
  if (!flags.watch) return ok ? 0 : 1

  output.out('wirerpc: watching for changes (Ctrl+C to stop)')
  const watcher = watchGenerators(project.generators, {
    run: async (generator) => {
      await run(generator)
    },
    configFile: project.configFile,
    reload: async () => {
      try {
        const next = await loadProject(flags, cwd)
        output.out(`wirerpc: ${relativeTo(cwd)(project.configFile ?? '')} changed; running again`)
        return next.generators
      } catch (error) {
        fail(error, output)
        output.err('wirerpc: keeping the previous config')
        return undefined
      }
    },
    warn: (message) => output.err(`wirerpc: ${message}`),
  })
  await watcher.done
  return 0
}

interface Project {
  configFile: string | undefined
  generators: Generator[]
}

/** Reads the config and flags into one generator per API; two APIs may not write the same file. */
async function loadProject(flags: CliFlags, cwd: string): Promise<Project> {
  const { configFile, apis } = await resolveApis(flags, cwd)
  const generators = apis.map((options) => createGenerator(options))
  const writers = new Map<string, number>()
  generators.forEach((generator, index) => {
    for (const file of [generator.options.serverOutFile, generator.options.clientOutFile]) {
      const other = writers.get(file)
      if (other !== undefined) {
        const who = other === index ? `API ${index + 1} writes both manifests to` : `APIs ${other + 1} and ${index + 1} both write`
        throw new ConfigError(`${who} ${path.relative(cwd, file)}: give each manifest its own file (serverOutFile, clientOutFile).`)
      }
      writers.set(file, index)
    }
  })
  return { configFile, generators }
}

function fail(error: unknown, output: Output): number {
  output.err(errorLine(error))
  if (error instanceof UsageError) output.err('Run `wirerpc --help` for usage.')
  return 1
}

function packageVersion(): string {
  // ../../package.json from both src/cli/ and dist/cli/.
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return manifest.version
}

try {
  process.exitCode = await main(process.argv.slice(2), process.cwd(), consoleOutput)
} catch (error) {
  consoleOutput.err(errorLine(error))
  process.exitCode = 1
}
