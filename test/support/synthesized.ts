import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { FUNCTIONS, type FunctionName } from '#contracts/steps.ts';
import type { TableName } from '#contracts/tables.ts';
import { KaizenStack } from '#lib/kaizen-stack.ts';
import { PROJECT_ROOT } from '#lib/project.ts';
import { localBucketArn, localEventBusArn, localTableArn, type PolicyStatement } from '#local/iam-proxy.ts';
import { LOCAL_BUCKET, LOCAL_TABLES } from '#local/stack.ts';
import { testApp } from '../lib/cdk-app.ts';

/** One function of the synthesized stack, with every reference resolved to the local stack's names. */
export interface SynthesizedFunction {
  name: FunctionName;
  /** Absolute path of the bundle (`<asset>/index.mjs`) CDK built for it. */
  bundle: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** The function's environment from the template (table and bucket names, loop ARN, Powertools settings). */
  environment: Record<string, string>;
  /** The identity policy of its role: every statement of every AWS::IAM::Policy attached to it. */
  statements: PolicyStatement[];
  /** The role's name as a principal ARN, for AccessDenied messages. */
  principal: string;
}

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, string>;
}

interface RawStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

/**
 * Synthesizes the stack with bundling (as `cdk synth` does) into a folder under node_modules/.cache, so the
 * bundles resolve the externalised `@aws-sdk/*` packages from the project, and reads each function's bundle,
 * settings, environment and role policy from the template. References resolve to the local stack: tables to
 * `LOCAL_TABLES` (ARNs `arn:aws:dynamodb:us-east-1:000000000000:table/<name>`), the artifacts bucket to
 * `LOCAL_BUCKET`, the improvement loop to `loopArn`. Resources of anything else (log groups, keys, queues,
 * streams) cannot be reached locally and are dropped, with statements left without a resource.
 */
export function synthesizeFunctions(loopArn: string): {
  functions: Record<FunctionName, SynthesizedFunction>;
  /** Removes the cloud assembly. */
  cleanup(): void;
} {
  const cacheDir = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const outdir = mkdtempSync(join(cacheDir, 'kaizen-iam-test-'));
  const cleanup = () => rmSync(outdir, { recursive: true, force: true });
  try {
    const app = testApp({ bundle: true, outdir });
    const stack = new KaizenStack(app, 'KaizenLoop');
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
    const idOf = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

    const tables: [string, TableName][] = [
      [idOf(stack.dataStores.metricsTable), 'metrics'],
      [idOf(stack.dataStores.registryTable), 'registry'],
      [idOf(stack.dataStores.runsTable), 'runs'],
    ];
    const names = new Map<string, string>([
      ...tables.map(([id, table]): [string, string] => [id, LOCAL_TABLES[table]]),
      [idOf(stack.dataStores.bucket), LOCAL_BUCKET],
      [idOf(stack.improvementLoop.stateMachine), loopArn],
      // No local bus (events go to a file locally): the name as deployed, for the publishers' environment.
      [idOf(stack.eventBus), resources[idOf(stack.eventBus)]?.Properties.Name as string],
    ]);
    const arns = new Map<string, string>([
      ...tables.map(([id, table]): [string, string] => [id, localTableArn(LOCAL_TABLES[table])]),
      [idOf(stack.dataStores.bucket), localBucketArn(LOCAL_BUCKET)],
      [idOf(stack.eventBus), localEventBusArn(resources[idOf(stack.eventBus)]?.Properties.Name as string)],
    ]);

    /** A template value as a local string, or undefined when it names something with no local counterpart. */
    const resolve = (value: unknown): string | undefined => {
      if (typeof value === 'string') return value;
      const object = value as Record<string, unknown>;
      if (typeof object.Ref === 'string') return names.get(object.Ref);
      const getAtt = object['Fn::GetAtt'] as [string, string] | undefined;
      if (getAtt) return getAtt[1] === 'Arn' ? arns.get(getAtt[0]) : undefined;
      const join = object['Fn::Join'] as [string, unknown[]] | undefined;
      if (join) {
        const parts = join[1].map(resolve);
        return parts.every((part) => part !== undefined) ? parts.join(join[0]) : undefined;
      }
      return undefined;
    };

    const statementsOfRole = (roleId: string): PolicyStatement[] =>
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .filter((r) => (r.Properties.Roles as { Ref?: string }[]).some((ref) => ref.Ref === roleId))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: RawStatement[] }).Statement)
        .flatMap((raw): PolicyStatement[] => {
          if (raw.NotAction || raw.NotResource || raw.Condition) {
            throw new Error(
              `unsupported policy statement (NotAction/NotResource/Condition): ${JSON.stringify(raw)}`,
            );
          }
          const resources = [raw.Resource]
            .flat()
            .map(resolve)
            .filter((arn): arn is string => arn !== undefined);
          if (resources.length === 0) return [];
          return [{ effect: raw.Effect, actions: [raw.Action ?? []].flat(), resources }];
        });

    const functions = {} as Record<FunctionName, SynthesizedFunction>;
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const id = idOf(stack.functions[name]);
      const resource = resources[id];
      const assetPath = resource?.Metadata?.['aws:asset:path'];
      if (!resource || !assetPath) throw new Error(`function ${name} (${id}) has no bundled asset`);
      const bundle = join(outdir, assetPath, 'index.mjs');
      if (!existsSync(bundle)) throw new Error(`function ${name}: ${bundle} was not built`);
      const properties = resource.Properties as {
        MemorySize: number;
        Timeout: number;
        Role: { 'Fn::GetAtt': [string, string] };
        Environment: { Variables: Record<string, unknown> };
      };
      const roleId = properties.Role['Fn::GetAtt'][0];
      const environment = Object.fromEntries(
        Object.entries(properties.Environment.Variables).map(([key, value]) => {
          const local = resolve(value);
          if (local === undefined) throw new Error(`function ${name}: ${key} has no local value`);
          return [key, local];
        }),
      );
      functions[name] = {
        name,
        bundle,
        memoryMb: properties.MemorySize,
        timeoutSeconds: properties.Timeout,
        environment,
        statements: statementsOfRole(roleId),
        principal: `arn:aws:sts::000000000000:assumed-role/${roleId}/kaizen-${name}`,
      };
    }
    return { functions, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}
