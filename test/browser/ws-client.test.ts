// The WebSocket client in a real browser: headless Chromium (playwright-core) loads a page served
// by serve() on 127.0.0.1 next to the example API, and its script (the BUILT client, bundled for
// the browser by esbuild) runs the seed calls over the browser's own WebSocket, then lives
// through a server restart.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RunningServer } from 'wirerpc/node'
import {
  bundlePage,
  ensureClientBuilt,
  ensureGenerated,
  launchChromium,
  screenshot,
  startPageServer,
  waitInPage,
  watchPage,
  within,
  type PageBundle,
  type PageWatch,
} from './harness.js'
import type { LiveLog, PageWindow, Update } from './page-api.js'

let bundle: PageBundle
let browser: Browser | undefined
const servers = new Set<RunningServer>()
const contexts = new Set<BrowserContext>()

beforeAll(async () => {
  ensureGenerated()
  ensureClientBuilt()
  bundle = await bundlePage()
  browser = await launchChromium()
}, 120_000)

afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all([...contexts].map((context) => context.close()))
  contexts.clear()
  await Promise.all([...servers].map((server) => server.close()))
  servers.clear()
})

afterAll(async () => {
  await browser?.close()
})

async function start(port = 0): Promise<RunningServer> {
  const server = await startPageServer(bundle.text, port)
  servers.add(server)
  return server
}

async function openPage(server: RunningServer): Promise<{ page: Page; watch: PageWatch }> {
  const context = await browser!.newContext({ viewport: { width: 1100, height: 560 } })
  contexts.add(context)
  const page = await context.newPage()
  const watch = watchPage(page)
  const response = await page.goto(`${server.url}page`)
  expect(response?.status()).toBe(200)
  await waitInPage(page, watch, 'window.harness (app.js did not run)', () => 'harness' in window, 5000)
  return { page, watch }
}

const readLive = (page: Page): Promise<LiveLog> => page.evaluate(() => (window as unknown as PageWindow).harness.live)

/** Splits the seqs of `items` where they start again at 1: one run per subscription. */
function runs(items: Update[]): number[][] {
  const result: number[][] = []
  for (const { seq } of items) {
    if (seq === 1 || result.length === 0) result.push([])
    result[result.length - 1]!.push(seq)
  }
  return result
}

const countingFrom1 = (run: number[]) => run.every((seq, index) => seq === index + 1)

describe('the WebSocket client in Chromium', () => {
  it('bundles the built client for the browser with no ws code in it', () => {
    expect(bundle.warnings).toEqual([])
    expect(bundle.inputs).toContain('dist/client/index.js')
    expect(bundle.inputs).toContain('dist/client/ws/connection.js')
    expect(bundle.inputs.filter((input) => input.startsWith('src/'))).toEqual([])
    expect(bundle.inputs.filter((input) => input.startsWith('node:') || /node_modules\/(ws|srvx|typebox)\//.test(input))).toEqual([])
    expect(bundle.text).not.toMatch(/require\(\s*["']ws["']\s*\)/)
    expect(bundle.text).not.toMatch(/from\s*["']ws["']/)
    expect(bundle.text).not.toMatch(/import\(\s*["']ws["']\s*\)/)
  })

  it('runs the seed calls over the browser WebSocket, plus an HTTP route', async () => {
    const server = await start()
    const { page, watch } = await openPage(server)
    const log = vi.spyOn(console, 'log')

    const result = await within(page, watch, 'The seed calls', page.evaluate(() => (window as unknown as PageWindow).harness.seed()), 10_000)
    await screenshot(page, 'ws-client-seed.png')

    expect(result.logEvent).toBeUndefined()
    // The notification reached the server's route, which logs it.
    await vi.waitFor(() => expect(log).toHaveBeenCalledWith('event user_action from user 123'))
    expect(result.userData).toEqual({ id: '123', name: 'User 123' })
    expect(result.updates).toHaveLength(2)
    expect(result.updates.map(({ topic, seq }) => ({ topic, seq }))).toEqual([
      { topic: 'user-events', seq: 1 },
      { topic: 'user-events', seq: 2 },
    ])
    for (const { timestamp } of result.updates) expect(Math.abs(timestamp - Date.now())).toBeLessThan(30_000)
    expect(result.updates[1]!.timestamp - result.updates[0]!.timestamp).toBeGreaterThanOrEqual(900)
    expect(result.wrongCall).toMatchObject({ name: 'WsRequestError', isWsRequestError: true, code: -32602, data: { path: '/0', value: 5 } })
    expect(result.post).toMatchObject({ id: 1, title: 'Post number 1' })
    expect(result.state).toBe('open')
    expect(result.pending).toBe(0)
    expect(result.changes.map(({ previous, state }) => `${previous}→${state}`)).toEqual(['idle→connecting', 'connecting→open'])
    expect(result.nativeWebSocket).toBe(true)
    expect(result.hasProcess).toBe(false)
    expect(result.userAgent).toContain('HeadlessChrome')
    // Every WebSocket call shared one connection, opened by the browser itself.
    expect(watch.webSockets).toEqual([`ws://127.0.0.1:${server.port}/api/ws`])
    expect(watch.problems).toEqual([])
  })

  it('reconnects and resubscribes when the server restarts on the same port', async () => {
    const first = await start()
    const port = first.port
    const { page, watch } = await openPage(first)

    await page.evaluate(() => (window as unknown as PageWindow).harness.startLive())
    await waitInPage(page, watch, 'second item before the restart', () => (window as unknown as PageWindow).harness.live.items.length >= 2, 5000)

    const closing = Date.now()
    await first.close()
    servers.delete(first)
    const closedIn = Date.now() - closing
    await start(port)
    const restartedAt = Date.now()

    // seq 1 again means a new subscription on the new server; one more item means it goes on.
    await waitInPage(
      page,
      watch,
      'resubscription (seq 1 then 2 after the restart)',
      () => {
        const seqs = (window as unknown as PageWindow).harness.live.items.map((item) => item.seq)
        const restart = seqs.lastIndexOf(1)
        return restart > 0 && seqs.length - restart >= 2
      },
      12_000,
    )
    const live = await readLive(page)
    await screenshot(page, 'ws-client-reconnect.png')

    expect(live.error).toBeUndefined()
    expect(live.ended).toBe(false)
    expect(live.state).toBe('open')
    expect(live.changes.map(({ state }) => state)).toEqual(['connecting', 'open', 'reconnecting', 'open'])
    const [before, after, ...more] = runs(live.items)
    expect(more).toEqual([])
    expect(before!.length).toBeGreaterThanOrEqual(2)
    expect(countingFrom1(before!)).toBe(true)
    expect(after!.length).toBeGreaterThanOrEqual(2)
    expect(countingFrom1(after!)).toBe(true)
    expect(live.items.every((item) => item.topic === 'user-events')).toBe(true)
    const reopened = live.changes[3]!.at
    // Reopened after the new server started, within the backoff (0.5 s, then 1 s, 2 s…).
    expect(reopened - restartedAt).toBeLessThan(4000)
    console.info(`[test/browser] server closed in ${closedIn} ms; the page reconnected ${reopened - restartedAt} ms after the restart`)

    await within(page, watch, 'stopLive()', page.evaluate(() => (window as unknown as PageWindow).harness.stopLive()), 5000)
    const stopped = await readLive(page)
    expect(stopped.error).toBeUndefined()
    expect(stopped.ended).toBe(true)
    expect(stopped.state).toBe('closed')

    expect(watch.webSockets.length).toBeGreaterThanOrEqual(2)
    expect(new Set(watch.webSockets)).toEqual(new Set([`ws://127.0.0.1:${port}/api/ws`]))
    // A reconnect attempt that races the new server's listen() is refused: Chromium logs it.
    const refusedAttempt = /^console error: WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/api\/ws' failed/
    expect(watch.problems.filter((problem) => !refusedAttempt.test(problem))).toEqual([])
  }, 20_000)
})
