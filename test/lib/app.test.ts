import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#lib/project.ts';
import { cdkJsonContext } from './cdk-app.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/** Runs `bin/app.ts` the way the CDK CLI does (CDK_OUTDIR, CDK_CONTEXT_JSON), without bundling. */
function synthApp(context: Record<string, unknown>, stackName: string): Template {
  const outdir = mkdtempSync(join(tmpdir(), 'kaizen-app-'));
  outdirs.push(outdir);
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context, 'aws:cdk:bundling-stacks': [] }),
    },
  });
  // A non-zero exit here includes cdk-nag findings, which the app turns into a failed synthesis.
  expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
  return JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8')) as Template;
}

const schedulesOf = (template: Template) =>
  Object.values(template.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');

describe('bin/app.ts', () => {
  it('synthesizes stack KaizenLoop without schedules by default, passing cdk-nag', () => {
    expect(schedulesOf(synthApp({}, 'KaizenLoop'))).toEqual([]);
  });

  it('reads the stack name, the scheduled models and the schedule from context', () => {
    const template = synthApp(
      {
        'kaizen:stackName': 'KaizenStaging',
        'kaizen:scheduledModels': 'churn,fraud',
        'kaizen:schedule': 'rate(6 hours)',
      },
      'KaizenStaging',
    );
    const schedules = schedulesOf(template);
    expect(schedules.map((s) => (s.Properties.Target as { Input: string }).Input).sort()).toEqual([
      JSON.stringify({ modelId: 'churn', force: false, dryRun: false }),
      JSON.stringify({ modelId: 'fraud', force: false, dryRun: false }),
    ]);
    expect(schedules.map((s) => s.Properties.ScheduleExpression)).toEqual(['rate(6 hours)', 'rate(6 hours)']);
  });
});
