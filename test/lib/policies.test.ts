import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidPoliciesError, validatePolicies } from '#lib/policies.ts';
import { readDefinition } from '#lib/project.ts';

// readDefinition reads any project file as text; the example is the reference valid policy.
const churn = JSON.parse(readDefinition('examples/churn-policy.json')) as Record<string, unknown>;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A temp folder holding these files (objects are written as JSON, strings as they are). */
function folderWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-policies-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

describe('validatePolicies', () => {
  it('returns the valid policies in file-name order and ignores other files', () => {
    const dir = folderWith({
      'fraud.json': { ...churn, modelId: 'fraud' },
      'churn.json': churn,
      'README.md': '# not a policy',
    });
    expect(validatePolicies(dir).map(({ file, policy }) => [file, policy.modelId])).toEqual([
      [join(dir, 'churn.json'), 'churn'],
      [join(dir, 'fraud.json'), 'fraud'],
    ]);
  });

  it('treats a missing folder as empty unless it was named explicitly', () => {
    const missing = join(tmpdir(), 'kaizen-no-such-policies-folder');
    expect(validatePolicies(missing)).toEqual([]);
    expect(() => validatePolicies(missing, { required: true })).toThrow(/kaizen-no-such-policies-folder/);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a bad field', { 'churn.json': { ...churn, window: 'daily' } }, /churn\.json is invalid:\n\s+window: /],
    [
      'a missing field',
      { 'churn.json': { ...churn, modelId: undefined } },
      /churn\.json is invalid:\n\s+modelId: /,
    ],
    ['broken JSON', { 'churn.json': '{"modelId": ' }, /churn\.json is not valid JSON/],
    [
      'a model id used twice',
      { 'a.json': churn, 'b.json': churn },
      /b\.json: modelId "churn" is already defined by .*a\.json/,
    ],
  ])('rejects %s, naming the file and the field', (_case, files, message) => {
    const dir = folderWith(files);
    expect(() => validatePolicies(dir)).toThrow(InvalidPoliciesError);
    expect(() => validatePolicies(dir)).toThrow(message);
  });

  it('reports every invalid file at once', () => {
    const dir = folderWith({ 'a.json': { ...churn, window: 'daily' }, 'b.json': '[' });
    expect(() => validatePolicies(dir)).toThrow(/a\.json is invalid[\s\S]*b\.json is not valid JSON/);
  });
});
