// The demo as a new user meets it: `npm start` (generate, build the page, serve on embedded
// defaults), two people in two browser windows, a message, a typing indicator and a mention
// (server push) going across, then the server restarting under them: "reconnecting…", then live again. Screenshots go to
// test/browser/artifacts/.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium, ROOT, screenshot, watchPage, type PageWatch } from './harness.js'

interface Demo {
  child: ChildProcess
  origin: string
  output: () => string
}

/** Runs `npm start` as the README says, and waits for the URL it prints. */
async function npmStart(port: number): Promise<Demo> {
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => void (output += chunk))
  child.stderr!.on('data', (chunk: Buffer) => void (output += chunk))
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL within 60 s; output:\n${output}`)), 60_000)
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before listening; output:\n${output}`)))
    child.stdout!.on('data', () => {
      const match = /chat demo: open (http:\/\/\S+\/)/.exec(output)
      if (!match) return
      clearTimeout(timer)
      resolve(match[1]!)
    })
  })
  return { child, origin, output: () => output }
}

/**
 * SIGTERM to the whole process group (npm, tsx, node): the server shuts down gracefully. Waits
 * until every process has let go of the output pipe, so the server's last log lines are in.
 */
async function stop(demo: Demo): Promise<void> {
  if (demo.child.exitCode !== null || demo.child.signalCode !== null) return
  const finished = Promise.all([once(demo.child, 'exit'), once(demo.child.stdout!, 'close'), once(demo.child.stderr!, 'close')])
  process.kill(-demo.child.pid!, 'SIGTERM')
  await finished
}

let demo: Demo | undefined
let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
  if (demo) await stop(demo)
})

async function join(context: BrowserContext, origin: string, name: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await context.newPage()
  const watch = watchPage(page)
  await page.goto(origin)
  await page.fill('#name', name)
  await page.click('#join')
  await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 })
  return { page, watch }
}

const state = (page: Page) => page.getAttribute('#status', 'data-state')
const messages = (page: Page) => page.$$eval('#messages li', (items) => items.map((item) => item.textContent ?? ''))

it('runs the chat from npm start: two windows talk, see each other type, and survive a server restart', async () => {
  demo = await npmStart(0)
  const { origin } = demo
  const port = Number(new URL(origin).port)
  browser = await launchChromium()
  // Two contexts: two people with separate storage, as in two browsers.
  const ada = await join(await browser.newContext(), origin, 'Ada')
  const bob = await join(await browser.newContext(), origin, 'Bob')

  await ada.page.waitForFunction(() => document.querySelector('#online')?.textContent?.includes('Bob'), undefined, { timeout: 10_000 })
  expect(await ada.page.$$eval('#online li', (items) => items.map((item) => item.textContent))).toEqual(['Ada', 'Bob'])

  await bob.page.type('#text', 'hello from Bob')
  await ada.page.waitForSelector('#typing:has-text("Bob is typing…")', { timeout: 10_000 })
  await screenshot(ada.page, 'chat-typing.png')
  await bob.page.click('#send')
  await ada.page.waitForSelector('#messages li:has-text("hello from Bob")', { timeout: 10_000 })
  expect(await ada.page.textContent('#typing')).toBe('') // sending ends "typing"
  expect((await messages(ada.page)).some((text) => text.startsWith('Bobhello from Bob'))).toBe(true)
  await screenshot(ada.page, 'chat-ada.png')
  await screenshot(bob.page, 'chat-bob.png')

  // The server restarts under the open pages.
  const firstRun = demo
  await stop(demo)
  // Its log: the URLs, connections opened and closed; never a message body or the query (wsParams) with the name.
  const log = firstRun.output()
  expect(log).toMatch(/\[wirerpc\] listening on http:\/\/127\.0\.0\.1:\d+\/api\/ and ws:\/\/127\.0\.0\.1:\d+\/api\/ws/)
  expect(log).toMatch(/\[wirerpc\] ws #\S+ open from 127\.0\.0\.1/)
  expect(log).toMatch(/\[wirerpc\] ws #\S+ closed with 1001/)
  expect(log).not.toContain('hello from Bob')
  expect(log).not.toContain('user=')
  await ada.page.waitForSelector('#status[data-state="reconnecting"]', { timeout: 10_000 })
  expect(await ada.page.textContent('#status')).toBe('reconnecting…')
  expect(await state(bob.page)).toBe('reconnecting')
  await screenshot(ada.page, 'chat-reconnecting.png')
  demo = await npmStart(port)
  for (const { page } of [ada, bob]) await page.waitForSelector('#status[data-state="open"]', { timeout: 45_000 })

  // Live again: the subscriptions were sent again without a reload, and with presence Bob's page
  // joined his mentions topic again, so the server pushes him the mention.
  await ada.page.fill('#text', 'back again @Bob')
  await ada.page.click('#send')
  await bob.page.waitForSelector('#messages li:has-text("back again")', { timeout: 10_000 })
  await bob.page.waitForSelector('#mention:has-text("Ada mentioned you: back again @Bob")', { timeout: 10_000 })
  expect(await ada.page.isHidden('#mention')).toBe(true) // not pushed to the sender
  await bob.page.waitForFunction(() => document.querySelector('#online')?.textContent === 'AdaBob', undefined, { timeout: 10_000 })
  expect(await bob.page.textContent('#status')).toBe('live')
  // The restarted (in-memory) server could not replay: the page got ResyncRequiredError, reloaded, followed again.
  expect(await bob.page.textContent('#error')).toBe('')
  await screenshot(bob.page, 'chat-after-restart.png')

  // Chromium logs each refused reconnect attempt as a console error; nothing else may go wrong.
  for (const { watch } of [ada, bob]) {
    expect(watch.problems.filter((problem) => !/WebSocket connection to .* failed/.test(problem))).toEqual([])
  }
}, 180_000)
