/** Environment variables the handlers and the CLI read; the CDK app and the local stack set them. */
export const ENV = {
  metricsTable: 'KAIZEN_METRICS_TABLE',
  registryTable: 'KAIZEN_REGISTRY_TABLE',
  runsTable: 'KAIZEN_RUNS_TABLE',
  bucket: 'KAIZEN_BUCKET',
  /** `true` for S3 servers that need path-style addressing (the local s3rver). */
  s3ForcePathStyle: 'KAIZEN_S3_FORCE_PATH_STYLE',
} as const;

export interface KaizenConfig {
  metricsTable: string;
  registryTable: string;
  runsTable: string;
  bucket: string;
  s3ForcePathStyle: boolean;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

let cached: KaizenConfig | undefined;

/** Reads the configuration on first use (not at import time, so a local stack can set it first). */
export function config(): KaizenConfig {
  cached ??= {
    metricsTable: required(ENV.metricsTable),
    registryTable: required(ENV.registryTable),
    runsTable: required(ENV.runsTable),
    bucket: required(ENV.bucket),
    s3ForcePathStyle: process.env[ENV.s3ForcePathStyle] === 'true',
  };
  return cached;
}

/** Forgets the cached configuration and clients' settings (tests and the CLI switch stacks). */
export function resetConfig(): void {
  cached = undefined;
}
