import * as z from './zod.ts';

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Why `text` is not an ISO-8601 timestamp with a time zone and a real calendar date, or undefined if it is. */
export function timestampProblem(text: string): string | undefined {
  const match = PATTERN.exec(text);
  if (!match) return 'must be an ISO-8601 timestamp with a time zone, e.g. 2026-11-20T00:00:00Z';
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const daysInMonth = new Date(Date.UTC(year as number, month as number, 0)).getUTCDate();
  if (
    (month as number) < 1 ||
    (month as number) > 12 ||
    (day as number) < 1 ||
    (day as number) > daysInMonth
  ) {
    return 'is not a real date';
  }
  if ((hour as number) > 23 || (minute as number) > 59 || (second ?? 0) > 59)
    return 'is not a real time of day';
  // Offsets in use run from -12:00 to +14:00, with minutes below 60.
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  if (offset && (Number(offset[2]) > 14 || Number(offset[3]) > 59))
    return `has an impossible time-zone offset ${offset[0]} (offsets run from -12:00 to +14:00)`;
  if (Number.isNaN(Date.parse(text))) return 'is not a time this system can read';
  return undefined;
}

/** An ISO-8601 timestamp with a time zone and a real date, normalised to UTC (`2026-11-20T00:00:00.000Z`). */
export const TimestampSchema = z.pipe(
  z.string().check(
    z.superRefine((text, ctx) => {
      const problem = timestampProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ),
  z.transform((text) => new Date(text).toISOString()),
);
