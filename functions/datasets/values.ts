/**
 * Cell and value conversions shared by every reader: numbers from text (decimal and scientific notation only)
 * and labels from any decoded value, with the common spellings of "no value" read as missing.
 */

/** Texts that mean "no value" in CSV cells and JSON strings (pandas' common defaults). */
const MISSING_TEXT = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);
// Plain decimal or scientific notation only: Number() would also accept '0x10', '0b1', 'Infinity' and ''.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY: Readonly<Record<string, number>> = {
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/**
 * A number from a cell: NaN when missing (see {@link MISSING_TEXT}), `undefined` when not a number.
 * Decimal and scientific notation only (no hex, no thousands separators); `inf`/`Infinity` are infinite.
 */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (MISSING_TEXT.has(trimmed)) return Number.NaN;
  if (DECIMAL.test(trimmed)) return Number(trimmed);
  return INFINITY[trimmed.toLowerCase()];
}

/** Parses a trimmed cell as a finite decimal number, or returns `undefined` (missing and infinite included). */
export function parseFiniteNumber(cell: string): number | undefined {
  if (!DECIMAL.test(cell)) return undefined;
  const value = Number(cell);
  return Number.isFinite(value) ? value : undefined;
}

/** A number from a decoded value: NaN when missing, `undefined` when not a number. */
export function toNumber(value: unknown): number | undefined {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return parseNumber(value);
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** A label from a decoded value (trimmed text; other values as text), or null when missing. */
export function toCategory(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return MISSING_TEXT.has(trimmed) ? null : trimmed;
  }
  if (typeof value === 'number') return Number.isNaN(value) ? null : String(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'bigint' ? inner.toString() : inner,
  );
}
