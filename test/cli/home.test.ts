import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { homeOf } from '../../cli/home.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('homeOf: the home a command line names, before it is parsed', () => {
  it.each([
    [['status', '--home', '/tmp/a'], '/tmp/a'],
    [['--home', '/tmp/b', 'status'], '/tmp/b'],
    [['--home=/tmp/c', 'history', '--model', 'churn'], '/tmp/c'],
    [['--home', 'relative/d', 'status'], resolve('relative/d')],
  ])('%j → %s', (argv, home) => {
    vi.stubEnv('KAIZEN_HOME', '/tmp/from-env');
    expect(homeOf(argv)).toBe(home);
  });

  it('falls back to KAIZEN_HOME, then to .kaizen in the working directory', () => {
    vi.stubEnv('KAIZEN_HOME', '/tmp/from-env');
    expect(homeOf(['status'])).toBe('/tmp/from-env');
    vi.stubEnv('KAIZEN_HOME', undefined);
    expect(homeOf(['status'])).toBe(resolve('.kaizen'));
  });
});
