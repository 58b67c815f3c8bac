/** Reads an optional string context value; blank counts as absent. */
export function contextString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${name} must be a string, got ${typeof value}`);
  return value.trim() === '' ? undefined : value.trim();
}
