// Temporary projects and a real `wirerpc` process (src/cli/index.ts under tsx), for the CLI tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { onTestFinished } from 'vitest'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const cli = path.join(repo, 'src/cli/index.ts')
const tsx = pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href

/** Every process a test starts must end within this time. */
const processTimeout = 45_000

export const userRoute = `import { route } from 'wirerpc/service'\nexport const getUser = route('/users/:id').get(async (id: number) => ({ id }))\n`

/** A project under os.tmpdir() whose tsconfig maps `wirerpc/*` to this repository's sources; removed when the test ends. */
export function createProject(files: Record<string, string>): Project {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wirerpc-cli-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const tsconfig = {
    compilerOptions: {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      types: [],
      paths: { 'wirerpc/*': [path.join(repo, 'src/*/index.ts')] },
    },
  }
  const project = new Project(dir)
  project.write('tsconfig.json', JSON.stringify(tsconfig, null, 2))
  for (const [file, text] of Object.entries(files)) project.write(file, text)
  return project
}

export class Project {
  constructor(readonly dir: string) {}

  write(file: string, text: string) {
    const full = path.join(this.dir, file)
    mkdirSync(path.dirname(full), { recursive: true })
    writeFileSync(full, text)
  }

  read(file: string): string | undefined {
    const full = path.join(this.dir, file)
    return existsSync(full) ? readFileSync(full, 'utf8') : undefined
  }

  exists(file: string): boolean {
    return existsSync(path.join(this.dir, file))
  }

  remove(file: string) {
    rmSync(path.join(this.dir, file), { recursive: true, force: true })
  }

  /** Runs `wirerpc ...args` in the project and waits for it to exit. */
  async run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = this.start(...args)
    const code = await exited(child.process, processTimeout)
    return { code, stdout: child.stdout(), stderr: child.stderr() }
  }

  /** Starts `wirerpc ...args` in the project without waiting (for --watch). */
  start(...args: string[]): Running {
    const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    return { process: child, stdout: () => stdout, stderr: () => stderr }
  }
}

export interface Running {
  process: ChildProcess
  stdout(): string
  stderr(): string
}

/** Resolves with the exit code once the process has exited and its output is read; kills it and rejects after `timeout` ms. */
export function exited(child: ChildProcess, timeout: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`wirerpc did not exit within ${timeout} ms`))
    }, timeout)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve(code)
    })
  })
}

/** Polls `check` every 50 ms until it returns true; fails after `timeout` ms with `describe()`. */
export async function waitFor(check: () => boolean, describe: () => string, timeout = 25_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms: ${describe()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
