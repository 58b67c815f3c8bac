import { ModelPolicySchema } from './policy.ts';
import * as z from './zod.ts';

/**
 * The model policy as JSON Schema (draft 2020-12) for editors. Cross-field rules (floor below ceiling,
 * breaches within windows, known features...) are enforced only by `parsePolicy`.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ModelPolicySchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/kaizen-loop/kaizen-loop/schemas/model-policy.schema.json',
    title: 'Kaizen Loop model policy',
    // Lets a policy file point at this schema without failing `additionalProperties: false`.
    properties: { $schema: { type: 'string' }, ...properties },
  };
}
