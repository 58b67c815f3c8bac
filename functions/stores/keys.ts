/** Sort keys of the registry table (see `#contracts/tables.ts` for the table layout). */
export const REGISTRY_KEYS = {
  policy: 'POLICY',
  lock: 'LOCK',
  champion: 'ALIAS#champion',
  versionPrefix: 'VERSION#',
  aliasLogPrefix: 'ALIASLOG#',
  /** Zero-padded so versions sort numerically. */
  version: (version: number) => `VERSION#${String(version).padStart(10, '0')}`,
} as const;
