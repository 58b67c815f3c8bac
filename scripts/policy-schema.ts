// Writes schemas/model-policy.schema.json from the zod schema, for editors (`"$schema": "./schemas/..."`).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { policyJsonSchema } from '#domain/policy-schema.ts';

const target = resolve(import.meta.dirname, '../schemas/model-policy.schema.json');
writeFileSync(target, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
