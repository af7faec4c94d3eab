/**
 * Fair turns for the loops that stream subscriptions, on every connection of every engine in the
 * process: together they get at most TURN_BUDGET_MS of each event-loop turn (they share one event
 * loop, so one budget). A loop that finds the budget spent waits in a line that later turns serve
 * in order, after the event loop has read the sockets and run the timers: a generator that yields
 * without ever awaiting, however many of them run, cannot keep the server from answering others.
 *
 * @module
 */

/** Time (ms) all streaming loops together may run in one event-loop turn. */
const TURN_BUDGET_MS = 5

/** A macrotask: setImmediate where the runtime has it (Node, Bun), else a zero timer. */
const macrotask: (fn: () => void) => void = (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate ?? ((fn) => setTimeout(fn, 0))

/** When this turn's budget started to be spent (ms, performance.now()), or undefined: not yet. */
let turnStart: number | undefined
/** Loops waiting for a turn, oldest first. */
const line: (() => void)[] = []

const newTurn = () => {
  turnStart = undefined
}

/** Whether this turn's budget is spent: the caller should then `await nextTurn()`. */
export function turnSpent(): boolean {
  const now = performance.now()
  if (turnStart === undefined) {
    turnStart = now
    // Queued before any loop waiting from this turn: the next turn starts with a fresh budget.
    macrotask(newTurn)
    return false
  }
  return now - turnStart >= TURN_BUDGET_MS
}

/** Resolves when a later turn reaches this caller in the line. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    line.push(resolve)
    macrotask(serveLine)
  })
}

/** One per waiting loop: wakes the oldest, or, the budget spent, tries again next turn (the line keeps its order). */
function serveLine(): void {
  if (turnSpent()) return macrotask(serveLine)
  line.shift()!()
}
