import { describe, expect, it } from 'vitest';
import * as catalogue from '#contracts/errors.ts';
import { INPUT_ERRORS, isUserFault, KaizenError, RETRYABLE_ERRORS } from '#contracts/errors.ts';

type ErrorClass = new (message: string, issues: string[]) => KaizenError;
const classes = (Object.entries(catalogue) as [string, unknown][]).filter(
  (entry): entry is [string, ErrorClass] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof KaizenError,
);
const instances = classes.map(([exported, Class]) => [exported, new Class('message', [])] as const);

describe('the error catalogue', () => {
  it('declares the errors the workflows and the CLI rely on', () => {
    expect(classes.map(([name]) => name).sort()).toEqual(
      expect.arrayContaining(['InvalidInputError', 'ModelNotFoundError', 'PolicyError', 'TransientError']),
    );
  });

  it.each(instances)('%s keeps its class name as `name` (what Step Functions matches)', (exported, error) => {
    expect(error.name).toBe(exported);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('message');
  });

  it('lists exactly the retryable errors for the house Retry policy', () => {
    const retryable = instances.filter(([, error]) => error.retryable).map(([name]) => name);
    expect([...RETRYABLE_ERRORS].sort()).toEqual(retryable.sort());
  });

  it('routes only user-fault errors to the rejection of an execution input', () => {
    const byName = new Map(instances);
    for (const name of INPUT_ERRORS) expect(byName.get(name)?.userFault).toBe(true);
  });

  it.each([
    [new catalogue.PolicyError('bad', []), true],
    [new catalogue.ModelNotFoundError('nope'), true],
    [new catalogue.TransientError('busy'), false],
    [new catalogue.ConflictError('moved'), false],
    [new Error('plain'), false],
    ['text', false],
  ])('isUserFault(%s) is %s', (error, expected) => {
    expect(isUserFault(error)).toBe(expected);
  });
});
