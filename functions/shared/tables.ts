/**
 * Key schemas of the three tables, shared by the CDK app and the local stack so both create the same
 * tables. All keys are strings.
 *
 * - metrics: `pk` = model id, `sk` = `<ISO timestamp>#kpi#<metric>` or `<ISO timestamp>#drift#<feature>`,
 *   so one Query with `sk BETWEEN start AND end` reads a window.
 * - registry: `pk` = model id, `sk` = `POLICY` | `VERSION#<10-digit version>` | `ALIAS#<name>` |
 *   `ALIASLOG#<ISO timestamp>#<alias>`.
 * - runs: `pk` = model id, `sk` = `RUN#<ISO start time>#<execution name>`.
 */
export const TABLE_KEYS = {
  metrics: { partitionKey: 'pk', sortKey: 'sk', indexes: [] },
  /** `byKind` lists registered models in id order (POLICY items carry `kind = 'model'`) for the fleet sweep. */
  registry: {
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [{ name: 'byKind', partitionKey: 'kind', sortKey: 'pk' }],
  },
  runs: { partitionKey: 'pk', sortKey: 'sk', indexes: [] },
} as const satisfies Record<
  string,
  {
    partitionKey: string;
    sortKey: string;
    indexes: readonly { name: string; partitionKey: string; sortKey: string }[];
  }
>;

export type TableName = keyof typeof TABLE_KEYS;
