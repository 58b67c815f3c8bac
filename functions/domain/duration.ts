const PATTERN = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses the day/time subset of ISO-8601 durations (`P7D`, `PT6H`, `P1DT12H`, `PT0.5S`) to seconds. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return (
    Number(days ?? 0) * 86_400 + Number(hours ?? 0) * 3_600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0)
  );
}

/** Like {@link parseDuration} but throws for text that a validated policy cannot contain. */
export function durationSeconds(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new RangeError(`not an ISO-8601 duration: ${text}`);
  return seconds;
}

/** The window `[asOf - seconds, asOf)` as ISO timestamps. */
export function windowEnding(asOf: string, seconds: number): { start: string; end: string } {
  const end = new Date(asOf);
  return { start: new Date(end.getTime() - seconds * 1000).toISOString(), end: end.toISOString() };
}

/** The window `[from, from + seconds)` as ISO timestamps. */
export function windowStarting(from: string, seconds: number): { start: string; end: string } {
  const start = new Date(from);
  return { start: start.toISOString(), end: new Date(start.getTime() + seconds * 1000).toISOString() };
}

/**
 * Window boundaries on a fixed grid from the Unix epoch: `floor` gives the end of the last complete window
 * before `at`, `ceil` the end of the window containing `at` (windows are `[start, end)`, so an instant on a
 * boundary belongs to the window it starts). Automated runs use them as `asOf`, so every trigger for the same
 * window computes the same execution name.
 */
export function windowBoundary(at: string | Date, seconds: number, mode: 'floor' | 'ceil'): string {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  const width = seconds * 1000;
  const index = Math.floor(ms / width) + (mode === 'ceil' ? 1 : 0);
  return new Date(index * width).toISOString();
}
