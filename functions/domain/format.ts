/** A number for a reason message: four significant digits, no trailing zeros (`0.0412`, `1.753`). */
export function fmt(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** A ratio as a percentage with one decimal (`0.15` -> `15.0%`). */
export function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
