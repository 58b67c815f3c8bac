/** The placeholder of object keys that stands for a day (`YYYY-MM-DD`, UTC). */
export const DATE_PLACEHOLDER = '{date}';

const DAY_MS = 86_400_000;

/** Whether a key template names daily objects. */
export function isDated(template: string): boolean {
  return template.includes(DATE_PLACEHOLDER);
}

/**
 * The object keys a template names over `[end - seconds, end)`: one per UTC day the span touches, oldest
 * first, with `{date}` replaced by that day; a template without `{date}` is its own single key.
 */
export function datedKeys(template: string, end: string, seconds: number): string[] {
  if (!isDated(template)) return [template];
  const endMs = Date.parse(end);
  if (Number.isNaN(endMs)) throw new RangeError(`"${end}" is not a date`);
  const first = Math.floor((endMs - seconds * 1000) / DAY_MS) * DAY_MS;
  const keys: string[] = [];
  for (let day = first; day < endMs; day += DAY_MS)
    keys.push(template.replaceAll(DATE_PLACEHOLDER, new Date(day).toISOString().slice(0, 10)));
  return keys;
}

/** The key of the current window's dataset: `{date}` in the policy's template becomes the window's start date (YYYY-MM-DD), the day its data belongs to. */
export function currentDatasetKey(template: string, windowStart: string | Date): string {
  const date = new Date(windowStart);
  if (Number.isNaN(date.getTime()))
    throw new RangeError(`window start "${String(windowStart)}" is not a date`);
  return template.replaceAll('{date}', date.toISOString().slice(0, 10));
}
