// Bundles the page script (web/app.ts, with the generated client manifest and wirerpc/client) for
// browsers into web/dist/app.js, with esbuild. `npm start` runs it before starting the server.
import { build } from 'esbuild'

const started = Date.now()
const result = await build({
  entryPoints: [new URL('./web/app.ts', import.meta.url).pathname],
  outfile: new URL('./web/dist/app.js', import.meta.url).pathname,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  metafile: true,
  logLevel: 'warning',
})
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + (output.bytes ?? 0), 0)
console.log(`chat page: web/dist/app.js built (${Math.round(bytes / 1024)} kB with its source map) in ${Date.now() - started} ms`)
