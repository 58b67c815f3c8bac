import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  contextString,
  deployEndpointsFromContext,
  deployFunctionsFromContext,
  functionSettingsFromContext,
  removalPolicyFromContext,
  sagemakerRoleArnFromContext,
} from '#lib/context.ts';

describe('contextString', () => {
  it.each<[unknown, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    [' rate(2 hours) ', 'rate(2 hours)'],
  ])('reads %j as %j', (value, expected) => {
    expect(contextString(value, 'kaizen:schedule')).toBe(expected);
  });

  it('rejects a non-string and names the context key', () => {
    expect(() => contextString(42, 'kaizen:schedule')).toThrow(/kaizen:schedule/);
  });
});

describe('functionSettingsFromContext', () => {
  it('reads memory (MB) and timeout (s) per function, from strings (-c) or numbers (cdk.json)', () => {
    const settings = functionSettingsFromContext({
      'kaizen:memory:train': '3008',
      'kaizen:timeout:train': 900,
      'kaizen:memory:sweep': 2048,
      'kaizen:schedule': 'rate(1 hour)',
    });
    expect(Object.keys(settings).sort()).toEqual(['sweep', 'train']);
    expect(settings.train?.memoryMb).toBe(3008);
    expect(settings.train?.timeout?.toSeconds()).toBe(900);
    expect(settings.sweep).toEqual({ memoryMb: 2048 });
  });

  it('keeps the defaults when nothing is set', () => {
    expect(functionSettingsFromContext({ 'kaizen:memory:train': ' ' })).toEqual({});
  });

  it.each([
    [
      { 'kaizen:memory:train': '64' },
      /kaizen:memory:train must be a whole number of MB from 128 to 10240, got "64"/,
    ],
    [
      { 'kaizen:timeout:train': '901' },
      /kaizen:timeout:train must be a whole number of seconds from 1 to 900/,
    ],
    [{ 'kaizen:timeout:train': '1.5' }, /got "1.5"/],
    [
      { 'kaizen:memory:trainer': '512' },
      /kaizen:memory:trainer: no function "trainer" \(functions: monitor, /,
    ],
  ])('rejects %j, naming the key and the limits', (context, message) => {
    expect(() => functionSettingsFromContext(context)).toThrow(message);
  });
});

describe('removalPolicyFromContext', () => {
  it.each<[unknown, RemovalPolicy]>([
    [undefined, RemovalPolicy.RETAIN],
    ['retain', RemovalPolicy.RETAIN],
    [' destroy ', RemovalPolicy.DESTROY],
  ])('reads %j as %s', (value, policy) => {
    expect(removalPolicyFromContext(value)).toBe(policy);
  });

  it('rejects anything else, naming the key', () => {
    expect(() => removalPolicyFromContext('delete')).toThrow(
      'kaizen:removalPolicy must be "retain" or "destroy", got "delete"',
    );
  });
});

describe('sagemakerRoleArnFromContext', () => {
  it.each<[unknown, string | undefined]>([
    [undefined, undefined],
    [' ', undefined],
    ['arn:aws:iam::123456789012:role/team-sagemaker', 'arn:aws:iam::123456789012:role/team-sagemaker'],
    [
      ' arn:aws:iam::123456789012:role/ml/SageMaker+Exec@team ',
      'arn:aws:iam::123456789012:role/ml/SageMaker+Exec@team',
    ],
    ['arn:aws-cn:iam::123456789012:role/team', 'arn:aws-cn:iam::123456789012:role/team'],
    ['arn:aws-us-gov:iam::123456789012:role/team', 'arn:aws-us-gov:iam::123456789012:role/team'],
  ])('reads %j as %j', (value, expected) => {
    expect(sagemakerRoleArnFromContext(value)).toBe(expected);
  });

  it.each([
    'team-sagemaker',
    'arn:aws:iam::123456789012:user/alice',
    'arn:aws:iam::12345:role/team',
    'arn:aws:sts::123456789012:assumed-role/team/session',
    'arn:aws:iam::123456789012:role/',
    'arn:aws:iam::123456789012:role/team sagemaker',
  ])('rejects %j, naming the key and the expected shape', (value) => {
    expect(() => sagemakerRoleArnFromContext(value)).toThrow(
      `kaizen:sagemakerRoleArn must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>), got "${value}"`,
    );
  });
});

describe('deployEndpointsFromContext', () => {
  it.each<[unknown, unknown]>([
    [undefined, undefined],
    [' ', undefined],
    ['*', '*'],
    [' * ', '*'],
    ['churn-endpoint', ['churn-endpoint']],
    [' Churn-Endpoint , fraud--ep,churn-endpoint ', ['Churn-Endpoint', 'fraud--ep', 'churn-endpoint']],
    ['a,a', ['a']],
    [
      ['churn-endpoint', 'fraud'],
      ['churn-endpoint', 'fraud'],
    ],
    [['*'], '*'],
    [[], undefined],
    [`e${'1'.repeat(62)}`, [`e${'1'.repeat(62)}`]],
  ])('reads %j as %j', (value, expected) => {
    expect(deployEndpointsFromContext(value)).toEqual(expected);
  });

  it.each([
    ['churn_endpoint', '"churn_endpoint"'],
    ['-churn', '"-churn"'],
    ['churn-', '"churn-"'],
    ['a,,b', '""'],
    [`e${'1'.repeat(63)}`, `"e${'1'.repeat(63)}"`],
    ['arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn', '"arn:aws:sagemaker'],
  ])('rejects %j, naming the key and the bad name', (value, bad) => {
    expect(() => deployEndpointsFromContext(value)).toThrow(
      /^kaizen:deployEndpoints must be "\*" or comma-separated SageMaker endpoint names/,
    );
    expect(() => deployEndpointsFromContext(value)).toThrow(bad);
  });

  it('rejects "*" among names and non-strings, naming the key', () => {
    expect(() => deployEndpointsFromContext('churn,*')).toThrow(
      'kaizen:deployEndpoints: "*" (any) cannot be combined with names, got "churn,*"',
    );
    expect(() => deployEndpointsFromContext(42)).toThrow('kaizen:deployEndpoints must be a string');
    expect(() => deployEndpointsFromContext(['churn', 1])).toThrow(
      'kaizen:deployEndpoints must list strings',
    );
  });
});

describe('deployFunctionsFromContext', () => {
  const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:churn-scorer';
  it.each<[unknown, unknown]>([
    [undefined, undefined],
    ['*', '*'],
    ['churn-scorer', ['churn-scorer']],
    [`churn_scorer, ${arn}`, ['churn_scorer', arn]],
    [
      'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:s',
      ['arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:s'],
    ],
    [
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:s',
      ['arn:aws-cn:lambda:cn-north-1:123456789012:function:s'],
    ],
  ])('reads %j as %j', (value, expected) => {
    expect(deployFunctionsFromContext(value)).toEqual(expected);
  });

  it.each([
    'churn-scorer:live',
    `${arn}:live`,
    'arn:aws:lambda:eu-west-1:12345:function:churn-scorer',
    '123456789012:function:churn-scorer',
    'churn scorer',
    'f'.repeat(65),
    'a,',
  ])('rejects %j, naming the key', (value) => {
    expect(() => deployFunctionsFromContext(value)).toThrow(
      /^kaizen:deployFunctions must be "\*" or comma-separated Lambda function names or unqualified function ARNs/,
    );
  });

  it('rejects "*" among names', () => {
    expect(() => deployFunctionsFromContext('*,churn-scorer')).toThrow('kaizen:deployFunctions: "*" (any)');
  });
});
