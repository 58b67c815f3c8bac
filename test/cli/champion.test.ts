import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_BUCKET, LOCAL_TABLES } from '#local/stack.ts';
import { readChampion } from '../../serving/index.ts';
import { cliIn } from '../support/cli.ts';
import { freshStack, type TestStack } from '../support/loop.ts';

// The read path for serving code: the CLI for people and scripts, `readChampion` for Node services.
const T0 = '2026-11-10T00:00:00.000Z';
let stack: TestStack;
const { kaizen } = cliIn(() => stack.home);

beforeEach(async () => {
  stack = await freshStack();
});
afterEach(async () => {
  await stack.close();
});

describe('the champion read path', () => {
  it('says there is none before the first promotion', async () => {
    expect(
      await readChampion({ modelId: 'churn', registryTable: LOCAL_TABLES.registry, client: stack.ctx.ddb }),
    ).toBeNull();
    const result = await kaizen('champion', '--model', 'churn');
    expect(result).toMatchObject({ code: 0, out: 'churn: no champion yet' });
  });

  it('names the serving version and its artifact after a promotion', async () => {
    const { record } = await stack.bootstrap(T0);
    const artifactKey = record?.candidate?.artifactKey;
    expect(
      await readChampion({
        modelId: 'churn',
        registryTable: LOCAL_TABLES.registry,
        bucket: LOCAL_BUCKET,
        client: stack.ctx.ddb,
      }),
    ).toEqual({
      modelId: 'churn',
      version: 1,
      artifactKey,
      artifactUri: `s3://${LOCAL_BUCKET}/${artifactKey}`,
      since: T0,
    });
    const json = await kaizen('champion', '--model', 'churn', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ version: 1, artifactKey, backend: 'builtin', since: T0 });
    const human = await kaizen('champion', '--model', 'churn');
    expect(human.out).toBe(
      `churn: v1 (builtin) serving since 2026-11-10 00:00, artifact s3://${LOCAL_BUCKET}/${artifactKey}`,
    );
  });

  it('refuses an unknown model (exit 2)', async () => {
    const result = await kaizen('champion', '--model', 'nope');
    expect(result.code).toBe(2);
  });
});
