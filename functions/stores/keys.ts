/** Sort keys of the registry table (see `#contracts/tables.ts` for the table layout). */
export const REGISTRY_KEYS = {
  policy: 'POLICY',
  lock: 'LOCK',
  champion: 'ALIAS#champion',
  /** The model's newest loop run, for the fleet's status (`#stores/runs.ts`). */
  latestRun: 'LASTRUN',
  versionPrefix: 'VERSION#',
  aliasLogPrefix: 'ALIASLOG#',
  /**
   * Partition of the models awaiting window datasets whose keys start with `prefix` (model ids are lowercase,
   * so no model's partition starts this way).
   */
  arrivals: (prefix: string) => `ARRIVALS#${prefix}`,
  /** Zero-padded so versions sort numerically. */
  version: (version: number) => `VERSION#${String(version).padStart(10, '0')}`,
} as const;
