import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectPath } from '#lib/project.ts';
import { commandsFor, runsOnLocalStack } from '../../cli/program.ts';

const VERSION = (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string })
  .version;

// The system's Node (20 on these machines: the launcher re-runs itself on the project's Node 24) and this one.
const NODES = [...new Set(['/usr/bin/node', '/usr/local/bin/node', process.execPath])].filter(existsSync);

describe('bin/kaizen.js', () => {
  it.each(NODES)('starts on %s and prints the version', (node) => {
    const result = spawnSync(node, [projectPath('bin/kaizen.js'), '--version'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(VERSION);
    expect(result.status).toBe(0);
  });
});

describe('commandsFor', () => {
  const names = (argv: string[]) => commandsFor(argv).flatMap((command) => command.names);

  it.each([
    { argv: ['--version'], loads: [] },
    { argv: ['-V'], loads: [] },
    { argv: ['status'], loads: ['status'] },
    { argv: ['--home', 'status', 'models', 'list'], loads: ['models'] },
    { argv: ['--stack', 'Prod', '--json', 'complete', '--token', 't'], loads: ['tasks', 'complete', 'fail'] },
    { argv: ['--home=/tmp/x', 'approve', '--model', 'm'], loads: ['approvals', 'approve', 'reject'] },
  ])('$argv loads only $loads', ({ argv, loads }) => {
    expect(names(argv)).toEqual(loads);
  });

  it.each([[[]], [['--help']], [['help', 'run']], [['stauts']]])(
    '%j loads every command, for help and for suggestions',
    (argv) => {
      expect(names(argv)).toEqual(names([]));
      expect(names(argv)).toContain('demo');
      expect(names(argv).length).toBeGreaterThan(15);
    },
  );
});

describe('runsOnLocalStack', () => {
  it.each([
    { argv: ['status'], env: {}, local: true },
    { argv: ['--home', '/tmp/h', 'models', 'list'], env: {}, local: true },
    { argv: ['--stack', 'Prod', 'status'], env: {}, local: false },
    { argv: ['--stack=Prod', 'status'], env: {}, local: false },
    { argv: ['status'], env: { KAIZEN_STACK: 'Prod' }, local: false },
    { argv: ['drift', '--reference', 'a.csv'], env: {}, local: false },
    { argv: ['status', '--help'], env: {}, local: false },
    { argv: ['--version'], env: {}, local: false },
    { argv: [], env: {}, local: false },
  ])('$argv with $env: $local', ({ argv, env, local }) => {
    expect(runsOnLocalStack(argv, env)).toBe(local);
  });
});
