// Helpers of the browser test: making sure the example manifests and the built client exist,
// bundling the page script, serving the page next to the example API, and running Chromium.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { chromium, type Browser, type Page } from 'playwright-core'
import { serve, type RunningServer } from 'wirerpc/node'
import { route, type ServerManifest } from 'wirerpc/service'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const ARTIFACTS = join(ROOT, 'test/browser/artifacts')
export const CHROMIUM = '/usr/bin/chromium'

const BUILT_CLIENT = join(ROOT, 'dist/client/index.js')
const GENERATED = ['examples/basic/generated/server-api.ts', 'examples/basic/generated/client-api.ts']

function run(script: string): void {
  try {
    execFileSync('npm', ['run', script, '--silent'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`\`npm run ${script}\` failed; the browser test needs it.\n${stdout}${stderr}`, { cause: error })
  }
}

/** Generates the example's manifests when they are missing (`npm test` generates them first). */
export function ensureGenerated(): void {
  if (GENERATED.every((file) => existsSync(join(ROOT, file)))) return
  console.warn('[test/browser] the example manifests are missing: running `npm run generate`')
  run('generate')
}

function newestChange(dir: string): number {
  let newest = statSync(join(ROOT, dir)).mtimeMs
  for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) newest = Math.max(newest, statSync(join(ROOT, dir, file)).mtimeMs)
  return newest
}

/**
 * Builds dist/ when the built client is missing or older than its sources (`npm test` builds
 * before vitest, so this only runs when the test is run on its own).
 */
export function ensureClientBuilt(): void {
  const builtAt = existsSync(BUILT_CLIENT) ? statSync(BUILT_CLIENT).mtimeMs : undefined
  if (builtAt !== undefined && builtAt >= Math.max(newestChange('src/client'), newestChange('src/protocol'))) return
  console.warn(`[test/browser] dist/client is ${builtAt === undefined ? 'missing' : 'older than src/'}: running \`npm run build\``)
  run('build')
  if (!existsSync(BUILT_CLIENT)) throw new Error(`\`npm run build\` did not produce ${BUILT_CLIENT}.`)
}

export interface PageBundle {
  text: string
  /** The files esbuild bundled, relative to the repository root. */
  inputs: string[]
  warnings: string[]
}

/** Bundles test/browser/page.ts for the browser, with `wirerpc/client` resolved to the built client. */
export async function bundlePage(): Promise<PageBundle> {
  const builtClient: Plugin = {
    name: 'built-client',
    setup(plugin) {
      plugin.onResolve({ filter: /^wirerpc\/client$/ }, () => ({ path: BUILT_CLIENT }))
    },
  }
  const result = await build({
    entryPoints: [join(ROOT, 'test/browser/page.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [builtClient],
  })
  return {
    text: result.outputFiles[0]!.text,
    inputs: Object.keys(result.metafile.inputs),
    warnings: result.warnings.map((warning) => `${warning.location?.file ?? ''}:${warning.location?.line ?? ''} ${warning.text}`),
  }
}

const PAGE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>wirerpc: WebSocket client in Chromium</title>
    <link rel="icon" href="data:,">
    <style>body { font: 14px system-ui, sans-serif; margin: 24px; } pre { font-size: 13px; white-space: pre-wrap; }</style>
  </head>
  <body>
    <h1>wirerpc WebSocket client in a real browser</h1>
    <pre id="out">Loading app.js…</pre>
    <script type="module" src="app.js"></script>
  </body>
</html>
`

/**
 * Serves the example API under /api, plus the page (/api/page) and its script (/api/app.js)
 * from the same origin. `port` 0 picks a free port.
 */
export async function startPageServer(script: string, port = 0): Promise<RunningServer> {
  const { default: api } = await import('../../examples/basic/generated/server-api.js')
  const page = route('/page').get(async () => new Response(PAGE_HTML, { headers: { 'content-type': 'text/html; charset=utf-8' } }))
  const app = route('/app.js').get(
    async () => new Response(script, { headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' } }),
  )
  const manifest: ServerManifest = [
    ...api,
    { protocol: 'http', name: 'page', method: 'GET', path: '/page', pathParams: [], import: async () => page },
    { protocol: 'http', name: 'app', method: 'GET', path: '/app.js', pathParams: [], import: async () => app },
  ]
  // Only subscriptions are open when the tests close the server, and those end at once.
  return serve(manifest, { prefix: '/api', port, hostname: '127.0.0.1', shutdownTimeout: 2 })
}

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser test drives Debian's Chromium at ${CHROMIUM}, which is not installed (apt-get install chromium).`)
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

export interface PageWatch {
  /** Console errors, uncaught page errors and crashes, as text. */
  problems: string[]
  /** URLs of the WebSockets the page opened. */
  webSockets: string[]
}

/** Records what goes wrong in `page` (and echoes it to stderr at once), and the WebSockets it opens. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { problems: [], webSockets: [] }
  const problem = (text: string) => {
    watch.problems.push(text)
    console.error(`[browser] ${text}`)
  }
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const { url, lineNumber } = message.location()
    problem(`console error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`)
  })
  page.on('pageerror', (error) => problem(`page error: ${error.stack ?? error.message}`))
  page.on('crash', () => problem('the page crashed'))
  page.on('websocket', (socket) => watch.webSockets.push(socket.url()))
  return watch
}

/** Waits until `predicate` holds in the page; on timeout, fails with what the page shows and what went wrong in it. */
export async function waitInPage(page: Page, watch: PageWatch, what: string, predicate: () => boolean, timeout: number): Promise<void> {
  try {
    await page.waitForFunction(predicate, undefined, { timeout, polling: 50 })
  } catch (error) {
    const shown = await page.textContent('#out').catch(() => '(unreadable)')
    throw new Error(`No ${what} within ${timeout} ms.\nThe page shows:\n${shown}\nBrowser problems: ${JSON.stringify(watch.problems, null, 2)}`, { cause: error })
  }
}

/** Rejects when `promise` takes longer than `timeout` ms, with what the page shows. */
export async function within<T>(page: Page, watch: PageWatch, what: string, promise: Promise<T>, timeout: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void page
        .textContent('#out')
        .catch(() => '(unreadable)')
        .then((shown) => reject(new Error(`${what} did not finish within ${timeout} ms.\nThe page shows:\n${shown}\nBrowser problems: ${JSON.stringify(watch.problems, null, 2)}`)))
    }, timeout)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, name)
  await page.screenshot({ path, fullPage: true })
  return path
}
