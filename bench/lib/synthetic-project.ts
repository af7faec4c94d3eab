/**
 * Writes a synthetic wirerpc project for the generator benchmark: `files` route modules of
 * `routesPerFile` routes each, sharing the types of one `types.ts` (nested objects, arrays, unions,
 * optional properties, dates, a recursive type, `t.*` constraint tags), with GET routes taking
 * path params and a query, POST/PUT/PATCH routes taking bodies, DELETE routes taking nothing, a few
 * streaming (async generator) routes and a few WebSocket routes (`route.ws`).
 *
 * The project lives in a fresh directory under `os.tmpdir()` and resolves `wirerpc/*` to this
 * repository's `src/` through `paths`, so the generator reads the current sources.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface ProjectShape {
  /** Route modules (`src/routes/fNN.ts`). */
  readonly files: number
  /** Routes per module; the slots below repeat when there are more than 10. */
  readonly routesPerFile: number
}

/** What the generator is given, and what a run must find. Plain data: it crosses process boundaries as JSON. */
export interface SyntheticProject extends ProjectShape {
  readonly dir: string
  /** `createGenerator` options (absolute paths). */
  readonly options: { include: string; root: string; serverOutFile: string; clientOutFile: string; tsConfigFile: string }
  readonly typesFile: string
  readonly routeFiles: readonly string[]
  /** Every route's export name, in file then export order. */
  readonly routeNames: readonly string[]
  /** HTTP and WebSocket routes among `routeNames`. */
  readonly counts: { readonly http: number; readonly ws: number; readonly streaming: number }
  /** Exported interfaces and type aliases in `types.ts`. */
  readonly sharedTypes: number
}

const pad = (n: number) => String(n).padStart(2, '0')

/** The shared types. `Address.version` is the property that `changeSharedType` rewrites. */
function typesModule(): string {
  return `import type { t } from 'wirerpc/service'

/** Identifier of a user. */
export type UserId = number & t.Minimum<1> & t.MultipleOf<1>
export type Status = 'active' | 'suspended' | 'deleted'
export type Role = 'admin' | 'editor' | 'viewer'
export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'cancelled'

export interface Geo {
  lat: number & t.Minimum<-90> & t.Maximum<90>
  lng: number & t.Minimum<-180> & t.Maximum<180>
}

/** A postal address. */
export interface Address {
  street: string & t.MaxLength<200>
  city: string & t.MaxLength<100>
  zip: string & t.Pattern<'^[0-9A-Z -]+$'>
  /** ISO 3166-1 alpha-2. */
  country: string & t.MinLength<2> & t.MaxLength<2>
  geo?: Geo
  /** Rewritten by the incremental benchmark (\`changeSharedType\`). */
  version: 'v0'
}

export interface Link {
  label: string & t.MaxLength<50>
  url: string & t.Format<'uri'>
}

export interface User {
  id: UserId
  name: string & t.MaxLength<100>
  email: string & t.Format<'email'>
  status: Status
  roles: Role[]
  address?: Address
  createdAt: Date
  lastSeenAt: Date | null
  tags: string[]
  profile: {
    bio?: string & t.MaxLength<500>
    avatarUrl: string | null
    links: Link[]
  }
}

export interface CreateUserInput {
  name: string & t.MinLength<1> & t.MaxLength<100>
  email: string & t.Format<'email'>
  roles?: Role[]
  address?: Address
  birthday?: Date
}

export interface UpdateUserInput {
  name?: string & t.MaxLength<100>
  status?: Status
  address?: Address | null
  tags?: string[] & t.MaxItems<20>
}

export type Money = {
  amount: number & t.Minimum<0>
  currency: 'EUR' | 'USD' | 'GBP'
}

/** Categories nest: a recursive type. */
export interface Category {
  id: number
  name: string
  children?: Category[]
}

export interface Product {
  id: number
  sku: string & t.Pattern<'^[A-Z0-9-]+$'>
  title: string & t.MaxLength<140>
  price: Money
  categories: Category[]
  attributes: Record<string, string | number | boolean>
  dimensions?: [number, number, number]
}

export interface OrderLine {
  product: Product
  quantity: number & t.Minimum<1> & t.MultipleOf<1>
  unitPrice: Money
}

export type PaymentMethod =
  | { kind: 'card'; last4: string & t.MinLength<4> & t.MaxLength<4>; expires: string }
  | { kind: 'iban'; iban: string & t.MaxLength<34> }
  | { kind: 'voucher'; code: string; amount: Money }

export interface Order {
  id: number
  user: User
  lines: OrderLine[] & t.MinItems<1>
  status: OrderStatus
  total: Money
  placedAt: Date
  shippedAt?: Date | null
  shippingAddress: Address
  payment: PaymentMethod
  notes?: string & t.MaxLength<1000>
}

export interface Invoice {
  id: number
  order: Order
  issuedAt: Date
  dueAt?: Date
  lines: { label: string; amount: Money }[]
}

export interface Page<T> {
  items: T[]
  total: number
  offset: number
  limit: number
}

export interface ListQuery {
  offset?: number & t.Minimum<0>
  limit?: number & t.Minimum<1> & t.Maximum<100>
  sort?: 'asc' | 'desc'
  q?: string & t.MaxLength<50>
}

export type SearchFilters = {
  status?: Status[]
  roles?: Role[]
  createdAfter?: Date
  tags?: string[]
}

export interface Comment {
  id: number
  author: Pick<User, 'id' | 'name'>
  body: string & t.MaxLength<2000>
  createdAt: Date
  replies?: Comment[]
}

export interface Notification {
  id: string
  kind: 'mention' | 'reply' | 'system'
  payload: { commentId?: number; orderId?: number; text: string }
  read: boolean
  at: Date
}

export interface ChangeEvent {
  type: 'created' | 'updated' | 'deleted'
  entity: 'user' | 'order' | 'product'
  id: number
  at: Date
}

export type Settings = {
  theme: 'light' | 'dark'
  locale: string & t.MaxLength<10>
  notifications: { email: boolean; push: boolean; digest?: 'daily' | 'weekly' }
}
`
}

/** Stands in for a data layer; the generator never runs it. */
const DB_MODULE = `/** Returns its input as \`T\`: stands in for a data layer. */
export function fake<T>(seed: unknown): T {
  return seed as T
}
`

interface Slot {
  readonly kind: 'http' | 'ws' | 'stream'
  readonly name: string
  readonly code: string
}

/** Route `slot` (0-9) of file `f`; the route's path and name carry the file and slot numbers. */
function routeSlot(f: number, slot: number, copy: number): Slot {
  const id = `${pad(f)}${copy > 0 ? `x${copy}` : ''}`
  const p = `/f${id}`
  const named = (kind: Slot['kind'], base: string, code: string): Slot => ({ kind, name: `${base}F${id}`, code: `export const ${base}F${id} = ${code}\n` })
  switch (slot) {
    case 0:
      return named('http', 'getUser', `route('${p}/users/:id').get(async (id: number, query: { fields?: string; expand?: boolean }) => fake<User>({ id, query }))`)
    case 1:
      return named('http', 'listUsers', `route('${p}/users').get(async (query: ListQuery & { status?: Status }): Promise<Page<User>> => fake(query))`)
    case 2:
      return named('http', 'createUser', `route('${p}/users').post(async (body: CreateUserInput) => fake<User>(body))`)
    case 3:
      return named('http', 'updateUser', `route('${p}/users/:id').put(async (id: number, body: UpdateUserInput) => fake<User>({ id, body }))`)
    case 4:
      return named('http', 'deleteUser', `route('${p}/users/:id').delete(async (id: number): Promise<void> => {\n  void id\n})`)
    case 5:
      return named('http', 'getOrderLine', `route('${p}/orders/:orderId/lines/:line').get(async ([orderId, line]: [number, number], query: { expand?: boolean }) => fake<OrderLine>({ orderId, line, query }))`)
    case 6:
      return named(
        'http',
        'createOrder',
        `route('${p}/orders').post(
  async (body: { userId: UserId; lines: { sku: string; quantity: number & t.Minimum<1> }[] & t.MinItems<1>; payment: PaymentMethod; shippingAddress: Address; notes?: string }) =>
    fake<Order>(body),
)`,
      )
    case 7:
      return f % 4 === 0
        ? named(
            'stream',
            'streamEvents',
            `route('${p}/events').get(async function* (query: { since?: Date; entity?: ChangeEvent['entity'] }) {
  for (let i = 0; i < 3; i++) yield fake<ChangeEvent>({ i, query })
})`,
          )
        : named('http', 'patchSettings', `route('${p}/users/:id/settings').patch(async (id: number, body: Partial<Settings>) => fake<Settings>({ id, body }))`)
    case 8:
      if (f % 4 === 1) {
        // The three WebSocket patterns in turn: request, notification, subscription.
        const pattern = Math.floor(f / 4) % 3
        if (pattern === 0) return named('ws', 'wsPostComment', `route.ws(async (postId: number, body: string & t.MaxLength<2000>, ctx: WsContext) => fake<Comment>({ postId, body, id: ctx.id }))`)
        if (pattern === 1) return named('ws', 'wsLog', `route.ws((level: 'info' | 'warn' | 'error', ...tags: string[]) => {\n  void level\n  void tags\n})`)
        return named('ws', 'wsNotifications', `route.ws(async function* (filters: SearchFilters, ctx: WsContext) {\n  yield fake<Notification>({ filters, id: ctx.id })\n})`)
      }
      return named('http', 'createComment', `route('${p}/comments').post(async (body: { postId: number; body: string & t.MaxLength<2000>; replyTo?: number }) => fake<Comment>(body))`)
    default:
      return f % 2 === 0
        ? named('http', 'getInvoice', `route('${p}/invoices/:id').get(async (id: number) => fake<Invoice>(id))`)
        : named(
            'http',
            'getStats',
            `route('${p}/stats').get(async (query: SearchFilters & { from?: Date; to?: Date }) => ({
  count: 1,
  generatedAt: new Date(),
  byStatus: { active: 1, suspended: 0, deleted: 0 } as Record<Status, number>,
  top: [fake<Product>(query)],
}))`,
          )
  }
}

const ROUTE_HEADER = `import { route } from 'wirerpc/service'
import type { t, WsContext } from 'wirerpc/service'
import type {
  Address, ChangeEvent, Comment, CreateUserInput, Invoice, ListQuery, Notification, Order, OrderLine,
  Page, PaymentMethod, Product, SearchFilters, Settings, Status, UpdateUserInput, User, UserId,
} from '../types.js'
import { fake } from '../db.js'
`

function routeModule(f: number, routesPerFile: number): { code: string; slots: Slot[] } {
  const slots = Array.from({ length: routesPerFile }, (_, i) => routeSlot(f, i % 10, Math.floor(i / 10)))
  // Every module imports every shared type; unused type imports are allowed (no noUnusedLocals).
  const code = `${ROUTE_HEADER}\n${slots.map((slot) => slot.code).join('\n')}`
  return { code, slots }
}

/** Creates the project in a new temporary directory; `removeProject` deletes it. */
export async function createSyntheticProject(shape: ProjectShape = { files: 50, routesPerFile: 10 }): Promise<SyntheticProject> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wirerpc-bench-generator-'))
  try {
    const srcDir = path.join(dir, 'src')
    await mkdir(path.join(srcDir, 'routes'), { recursive: true })
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: [],
        paths: { 'wirerpc/*': [path.join(REPO_ROOT, 'src/*/index.ts')] },
      },
      include: ['src'],
    }
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n')
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'wirerpc-bench-generator-project', private: true, type: 'module' }, null, 2) + '\n')
    const typesFile = path.join(srcDir, 'types.ts')
    const types = typesModule()
    await writeFile(typesFile, types)
    await writeFile(path.join(srcDir, 'db.ts'), DB_MODULE)
    const routeFiles: string[] = []
    const routeNames: string[] = []
    const counts = { http: 0, ws: 0, streaming: 0 }
    for (let f = 0; f < shape.files; f++) {
      const file = path.join(srcDir, 'routes', `f${pad(f)}.ts`)
      const { code, slots } = routeModule(f, shape.routesPerFile)
      await writeFile(file, code)
      routeFiles.push(file)
      for (const slot of slots) {
        routeNames.push(slot.name)
        if (slot.kind === 'ws') counts.ws++
        else counts.http++
        if (slot.kind === 'stream') counts.streaming++
      }
    }
    return {
      ...shape,
      dir,
      options: {
        include: 'src/routes/**/*.ts',
        root: dir,
        serverOutFile: path.join(dir, 'server/generated/api.ts'),
        clientOutFile: path.join(dir, 'client/generated/api.ts'),
        tsConfigFile: path.join(dir, 'tsconfig.json'),
      },
      typesFile,
      routeFiles,
      routeNames,
      counts,
      sharedTypes: types.match(/^export (?:type|interface) /gm)?.length ?? 0,
    }
  } catch (error) {
    removeProject(dir)
    throw error
  }
}

/** Synchronous, so it also works from a process `exit` handler. */
export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Edit kinds of the incremental benchmark. */
export type EditKind = 'append-route' | 'change-type'

export interface Edit {
  readonly kind: EditKind
  readonly file: string
  /** Route count the next run must report. */
  readonly routes: number
  /** Text the client manifest must contain after the next run. */
  readonly clientMustContain: string
  /** Text the server manifest must contain after the next run (empty: no check). */
  readonly serverMustContain: string
}

/**
 * Appends the `n`-th extra route (n = 1, 2, …) to one route module, a different one each time.
 * `before` is the route count before this edit.
 */
export async function appendRoute(project: SyntheticProject, n: number, before: number): Promise<Edit> {
  const file = project.routeFiles[(n * 7) % project.routeFiles.length]!
  const name = `extraRoute${n}`
  await appendFile(file, `\nexport const ${name} = route('/extra/${n}/:id').post(async (id: number, body: { note: string & t.MaxLength<${100 + n}>; user: UpdateUserInput }) => fake<User>({ id, body }))\n`)
  return { kind: 'append-route', file, routes: before + 1, clientMustContain: `export const ${name} = `, serverMustContain: `'/extra/${n}/:id'` }
}

/**
 * Changes the type of one property of a shared interface (`Address.version: 'v0'` → `'v<n>'`).
 * `Address` is reached by request types (the server manifest's schemas) and result types (the
 * client manifest's types) of most routes, so the change spreads through both manifests.
 */
export async function changeSharedType(project: SyntheticProject, n: number, routes: number): Promise<Edit> {
  const text = await readFile(project.typesFile, 'utf8')
  const next = text.replace(/^ {2}version: 'v\d+'$/m, `  version: 'v${n}'`)
  if (next === text) throw new Error(`changeSharedType: no "version" property in ${project.typesFile}.`)
  await writeFile(project.typesFile, next)
  return { kind: 'change-type', file: project.typesFile, routes, clientMustContain: `version: 'v${n}'`, serverMustContain: `version: { const: 'v${n}' }` }
}

/** Counts the entries of both manifests from their text (one `protocol:` per server entry, one `export const` per client route). */
export function countManifestEntries(server: string, client: string): { server: number; client: number } {
  return { server: server.match(/^ {4}protocol: '(?:http|ws)',$/gm)?.length ?? 0, client: client.match(/^export const \w+ = /gm)?.length ?? 0 }
}
