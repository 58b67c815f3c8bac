/**
 * Reads the model list of the `kaizen:scheduledModels` context: a JSON array (cdk.json) or a
 * comma-separated string (`-c kaizen:scheduledModels=churn,fraud`); blanks and duplicates dropped.
 */
export function parseModelList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') items = value.split(',');
  else
    throw new Error(`kaizen:scheduledModels must be a list or a comma-separated string, got ${typeof value}`);
  const models = items.map((item) => {
    if (typeof item !== 'string')
      throw new Error(`kaizen:scheduledModels entries must be strings, got ${typeof item}`);
    return item.trim();
  });
  return [...new Set(models.filter((model) => model !== ''))];
}

/** Reads an optional string context value; blank counts as absent. */
export function contextString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${name} must be a string, got ${typeof value}`);
  return value.trim() === '' ? undefined : value.trim();
}
