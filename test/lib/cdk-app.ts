import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { projectPath } from '#lib/project.ts';

/** The context of `cdk.json`, so tests synthesize with the same feature flags as `cdk synth`. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(projectPath('cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * An App configured like `cdk synth`. With `bundle: false` the Lambda assets are not built
 * (`aws:cdk:bundling-stacks` = []), for tests that only look at the template's shape.
 */
export function testApp(options: { bundle: boolean; outdir?: string }): App {
  return new App({
    outdir: options.outdir,
    context: {
      ...cdkJsonContext(),
      // As the CLI does: record where each asset was built, so tests can open the bundles.
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
}
