// Rebuilds the sample projects of test/docs/fixtures/: copies each tutorial's route module out of
// its markdown file, then generates every project's manifests. Run: npx tsx test/docs/sync.ts
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createGenerator, formatDiagnostic } from '../../src/generator/index.js'
import { extractBlocks } from './extract.js'
import { absolute, projects, repoRoot, routesBlockOf, routesCopyText } from './projects.js'

let failed = false
for (const project of projects) {
  if (project.routesCopy) {
    const [file] = project.markdown
    const blocks = extractBlocks(file!, await readFile(path.join(repoRoot, file!), 'utf8'))
    const block = routesBlockOf(blocks, project)
    if (!block) throw new Error(`${file} has no block importing from 'wirerpc/service' to copy.`)
    await mkdir(path.dirname(absolute(project, project.routesCopy)), { recursive: true })
    await writeFile(absolute(project, project.routesCopy), routesCopyText(block))
  }
  const generator = createGenerator({
    include: [...project.include],
    root: absolute(project, '.'),
    serverOutFile: project.serverOut,
    clientOutFile: project.clientOut,
    tsConfigFile: path.join(repoRoot, 'tsconfig.json'),
  })
  const result = await generator.run()
  for (const diagnostic of [...result.errors, ...result.warnings]) console.error(formatDiagnostic(diagnostic, (file) => path.relative(repoRoot, file)))
  failed ||= result.errors.length > 0
  console.log(`${project.dir}: ${result.routes} routes, ${result.written.length} manifests written`)
}
process.exitCode = failed ? 1 : 0
