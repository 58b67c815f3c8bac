/** Renders rows as an aligned plain-text table with a header rule. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...cells.map((row) => row[index]?.length ?? 0)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

/** `2026-11-20T00:00:00.000Z` -> `2026-11-20 00:00`. */
export function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').slice(0, 16) : '-';
}

export function version(version: number | null | undefined): string {
  return version === null || version === undefined ? '-' : `v${version}`;
}
