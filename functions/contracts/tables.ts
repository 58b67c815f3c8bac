/**
 * Key schemas of the three tables, shared by the CDK app and the local stack so both create the same
 * tables. All keys are strings.
 *
 * - metrics: `pk` = model id, `sk` = `<ISO timestamp>#kpi#<metric>`, `<ISO timestamp>#drift#<feature>`,
 *   `<ISO timestamp>#quality#dataset` or `<midnight>#arrival#<dataset key>`, so one Query with
 *   `sk BETWEEN start AND end` reads a window.
 * - registry: `pk` = model id, `sk` = `POLICY` | `VERSION#<10-digit version>` | `ALIAS#<name>` |
 *   `ALIASLOG#<ISO timestamp>#<alias>` | `LOCK` | `LASTRUN` (the newest loop run, for the fleet's status); and `pk` = `ARRIVALS#<key prefix>`, `sk` = model id: the models awaiting
 *   window datasets under that prefix.
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

/** Attribute of the metrics table that DynamoDB TTL reads (epoch seconds): rows of a policy with `retention`. */
export const METRICS_TTL_ATTRIBUTE = 'expiresAt';

/** Registry items that list a model carry this in `kind`, the partition key of the `byKind` index. */
export const MODEL_KIND = 'model';
/** The registry index that lists registered models in id order (the fleet sweep pages through it). */
export const BY_KIND_INDEX = TABLE_KEYS.registry.indexes[0].name;
