/** Environment variables the CDK app sets on every function; the runtime context reads them once. */
export const ENV = {
  metricsTable: 'KAIZEN_METRICS_TABLE',
  registryTable: 'KAIZEN_REGISTRY_TABLE',
  runsTable: 'KAIZEN_RUNS_TABLE',
  bucket: 'KAIZEN_BUCKET',
  /** `true` for S3 servers that need path-style addressing. */
  s3ForcePathStyle: 'KAIZEN_S3_FORCE_PATH_STYLE',
  /** Set on functions that start the improvement loop (`access.loop: 'start'`). */
  loopArn: 'KAIZEN_IMPROVEMENT_LOOP_ARN',
  /** Set on functions that publish events (`access.events: 'publish'`): the stack's event bus. */
  eventBus: 'KAIZEN_EVENT_BUS',
} as const;

/** Environment every function gets, on top of the `KAIZEN_*` resource names. */
export const BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: 'kaizen-loop',
  POWERTOOLS_METRICS_NAMESPACE: 'KaizenLoop',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
};
