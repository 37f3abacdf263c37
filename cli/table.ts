/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => (row[column] ?? '').length)),
  );
  const numeric = headers.map(
    (_, column) =>
      rows.length > 0 && rows.every((row) => row[column] === null || typeof row[column] === 'number'),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

/** A number as people read it: integers whole, others with up to 4 significant decimals. */
export function formatNumber(value: number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}

export function formatShare(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : `${(value * 100).toFixed(1)}%`;
}
