import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyError } from '#contracts/errors.ts';
import { type ModelPolicy, parsePolicy } from '#domain/policy.ts';

/** Folder of the policies kept in the repository, relative to the project root. */
export const POLICIES_DIR = 'policies';

/** One or more policy files failed validation; the message names each file and its bad fields. */
export class InvalidPoliciesError extends Error {
  override readonly name = 'InvalidPoliciesError';
}

/**
 * Validates every `*.json` file in `dir` with `parsePolicy` and returns the policies in file-name order.
 * A missing folder holds no policies, unless `required` (the folder was named explicitly). Throws one
 * {@link InvalidPoliciesError} listing every invalid file with its fields, and model ids used twice.
 */
export function validatePolicies(
  dir: string,
  options: { required?: boolean } = {},
): { file: string; policy: ModelPolicy }[] {
  if (!existsSync(dir)) {
    if (options.required) throw new InvalidPoliciesError(`policies folder ${dir} does not exist`);
    return [];
  }
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name));
  const valid: { file: string; policy: ModelPolicy }[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      problems.push(`${file} is not valid JSON: ${(error as Error).message}`);
      continue;
    }
    try {
      valid.push({ file, policy: parsePolicy(document, file) });
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems.push(error.message);
    }
  }
  const owners = new Map<string, string>();
  for (const { file, policy } of valid) {
    const first = owners.get(policy.modelId);
    if (first) problems.push(`${file}: modelId "${policy.modelId}" is already defined by ${first}`);
    else owners.set(policy.modelId, file);
  }
  if (problems.length > 0) {
    throw new InvalidPoliciesError(`invalid model policies:\n${problems.join('\n')}`);
  }
  return valid;
}
