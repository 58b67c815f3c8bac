import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '#domain/policy.ts';
import { policyJsonSchema } from '#domain/policy-schema.ts';

const root = resolve(import.meta.dirname, '../../..');

describe('policy JSON Schema', () => {
  it('is committed up to date (npm run schema regenerates it)', () => {
    const committed = JSON.parse(readFileSync(resolve(root, 'schemas/model-policy.schema.json'), 'utf8'));
    expect(committed).toEqual(policyJsonSchema());
  });

  it('describes every top-level policy field and closes the object', () => {
    const schema = policyJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
      required: string[];
    };
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        '$schema',
        'approval',
        'budget',
        'cooldown',
        'deployment',
        'description',
        'drift',
        'evaluation',
        'kpis',
        'modelId',
        'monitoring',
        'notifications',
        'persistence',
        'retention',
        'rollout',
        'training',
        'window',
      ].sort(),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['modelId', 'training', 'evaluation']));
  });

  it('the example policy, which points at the schema, is a valid policy', () => {
    const example = JSON.parse(readFileSync(resolve(root, 'examples/churn-policy.json'), 'utf8'));
    expect(example.$schema).toBe('../schemas/model-policy.schema.json');
    expect(parsePolicy(example).modelId).toBe('churn');
  });
});
