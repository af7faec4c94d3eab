/** Renders rows as a plain-text table (first row is the header; numbers align right). */
export function formatTable(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((row) => row.map(String))
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)))
  const line = (row: readonly string[], raw: readonly (string | number)[]) =>
    row.map((cell, i) => (typeof raw[i] === 'number' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()
  const [header, ...body] = cells
  return [line(header!, []), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map((row, i) => line(row, rows[i + 1]!))].join('\n')
}
