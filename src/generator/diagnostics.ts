/**
 * What the generator reports: errors (nothing is written) and warnings, each with a location.
 *
 * @module
 */

export interface Diagnostic {
  severity: 'error' | 'warning'
  /** What is wrong and what to do. */
  message: string
  file?: string
  /** 1-based. */
  line?: number
  /** 1-based. */
  column?: number
  /** The route's exported name, when the problem belongs to one route. */
  route?: string
}

/** `file:line:column - error: message`, the form editors and terminals link. */
export function formatDiagnostic(diagnostic: Diagnostic, relativeTo?: (file: string) => string): string {
  const where = diagnostic.file ? `${relativeTo ? relativeTo(diagnostic.file) : diagnostic.file}:${diagnostic.line ?? 1}:${diagnostic.column ?? 1} - ` : ''
  return `${where}${diagnostic.severity}: ${diagnostic.message}`
}
