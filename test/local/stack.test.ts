import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalHomeError } from '#contracts/errors.ts';
import { TABLE_KEYS, type TableName } from '#contracts/tables.ts';
import {
  attachLocalStack,
  LOCAL_BUCKET,
  LOCAL_TABLES,
  type LocalStack,
  startLocalStack,
} from '#local/stack.ts';
import type { KaizenContext } from '#runtime/context.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let home: string;
const running: LocalStack[] = [];

async function start(): Promise<LocalStack> {
  const stack = await startLocalStack({ home });
  running.push(stack);
  return stack;
}

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-stack-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.stop()));
  await rm(home, { recursive: true, force: true });
});

/** A loop starter that must not be called: these tests start no loops. */
const NO_LOOPS = {
  start: () => Promise.reject(new Error('no loop expected')),
};

const contexts: KaizenContext[] = [];
/** The stack's context (its clients are destroyed after the test). */
function contextOf(stack: LocalStack): KaizenContext {
  const ctx = stack.context(NO_LOOPS);
  contexts.push(ctx);
  return ctx;
}
afterEach(() => {
  for (const ctx of contexts.splice(0)) ctx.close();
});

describe('startLocalStack', () => {
  it.each(Object.keys(TABLE_KEYS) as TableName[])(
    'creates the %s table with the shared key schema',
    async (table) => {
      const stack = await start();
      const client = contextOf(stack).ddb;
      const { Table } = await client.send(new DescribeTableCommand({ TableName: stack.tables[table] }));

      expect(Table?.TableName).toBe(LOCAL_TABLES[table]);
      expect(Table?.KeySchema).toEqual([
        { AttributeName: TABLE_KEYS[table].partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS[table].sortKey, KeyType: 'RANGE' },
      ]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table?.TableStatus).toBe('ACTIVE');
    },
  );

  it('creates the artifacts bucket and reports loopback endpoints', async () => {
    const stack = await start();
    const head = await contextOf(stack).s3.send(new HeadBucketCommand({ Bucket: stack.bucket }));

    expect(head.$metadata.httpStatusCode).toBe(200);
    expect(stack.bucket).toBe(LOCAL_BUCKET);
    expect(stack.endpoints.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.endpoints.s3).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("serves DynamoDB puts and window queries to the context's client", async () => {
    const stack = await start();
    const client = contextOf(stack).ddb;
    const sks = [
      '2026-01-01T00:00:00Z#kpi#ctr',
      '2026-01-02T00:00:00Z#kpi#ctr',
      '2026-01-03T00:00:00Z#kpi#ctr',
    ];
    for (const [i, sk] of sks.entries()) {
      await client.send(
        new PutCommand({ TableName: stack.tables.metrics, Item: { pk: 'churn', sk, value: i } }),
      );
    }
    const { Items } = await client.send(
      new QueryCommand({
        TableName: stack.tables.metrics,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': 'churn', ':from': '2026-01-02', ':to': '2026-01-03T99' },
      }),
    );

    expect(Items?.map((item) => item.value)).toEqual([1, 2]);
  });

  it('answers for a table as it is now after it is deleted and created again (descriptions kept in memory)', async () => {
    const stack = await start();
    const client = contextOf(stack).ddb;
    const create = (key: string) =>
      client.send(
        new CreateTableCommand({
          TableName: 'probe',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        }),
      );
    const status = () =>
      client.send(new DescribeTableCommand({ TableName: 'probe' })).then(
        ({ Table }) => Table?.TableStatus,
        (error: Error) => error.name,
      );
    /** Polls the table's status (dynalite moves it on with a timer) until it is `wanted`. */
    const until = async (wanted: string) => {
      for (let tries = 0; (await status()) !== wanted; tries += 1) {
        if (tries === 100) throw new Error(`the table never became ${wanted}`);
        await new Promise((done) => setTimeout(done, 10));
      }
    };
    const described = async () =>
      (await client.send(new DescribeTableCommand({ TableName: 'probe' }))).Table?.KeySchema;
    await create('id');
    await until('ACTIVE');
    expect(await described()).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    await client.send(new PutCommand({ TableName: 'probe', Item: { id: 'a' } }));

    await client.send(new DeleteTableCommand({ TableName: 'probe' }));
    await until('ResourceNotFoundException');
    await expect(client.send(new GetCommand({ TableName: 'probe', Key: { id: 'a' } }))).rejects.toThrow(
      /not found/,
    );

    await create('name');
    await until('ACTIVE');
    expect(await described()).toEqual([{ AttributeName: 'name', KeyType: 'HASH' }]);
    await expect(client.send(new PutCommand({ TableName: 'probe', Item: { id: 'a' } }))).rejects.toThrow(
      /key/i,
    );
  });

  it('shows a new table ACTIVE to readers that asked while dynalite was writing its status', async () => {
    const stack = await start();
    const client = contextOf(stack).ddb;
    const status = (TableName: string) =>
      client.send(new DescribeTableCommand({ TableName })).then(({ Table }) => Table?.TableStatus);
    for (let round = 0; round < 40; round += 1) {
      const TableName = `race-${round}`;
      const created = client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      await created;
      // Readers asking back to back, some of them while the status moves from CREATING to ACTIVE.
      const readers = Array.from({ length: 8 }, async () => {
        for (let tries = 0; (await status(TableName)) !== 'ACTIVE'; tries += 1) {
          if (tries === 200) throw new Error(`${TableName} stayed CREATING for a reader`);
          await new Promise((done) => setTimeout(done, 2));
        }
      });
      await Promise.all(readers);
    }
  });

  it("stores a streamed multi-KB upload byte for byte through the context's S3 client", async () => {
    const stack = await start();
    const client = contextOf(stack).s3;
    const body = randomBytes(200 * 1024);
    const chunks = Array.from({ length: 25 }, (_, i) => body.subarray(i * 8192, (i + 1) * 8192));
    await client.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: 'models/churn/v1/model.bin',
        Body: Readable.from(chunks),
        ContentLength: body.length,
      }),
    );
    const got = await client.send(
      new GetObjectCommand({ Bucket: stack.bucket, Key: 'models/churn/v1/model.bin' }),
    );
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);

    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(body)).toBe(true);
  });

  it('leaves the previous object in place when an upload is cut off, as S3 does', async () => {
    const stack = await start();
    const { s3 } = contextOf(stack);
    await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'data.csv', Body: 'version one' }));
    // Half of the announced bytes arrive, then the connection is dropped.
    const aborter = new AbortController();
    let sent = false;
    const stalled = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(Buffer.alloc(64 * 1024, 'x'));
        setTimeout(() => aborter.abort(), 200);
      },
    });
    await expect(
      s3.send(
        new PutObjectCommand({
          Bucket: stack.bucket,
          Key: 'data.csv',
          Body: stalled,
          ContentLength: 128 * 1024,
        }),
        { abortSignal: aborter.signal },
      ),
    ).rejects.toThrow();
    // The server notices the dropped connection; the object it had must still be whole.
    await new Promise((done) => setTimeout(done, 300));
    const object = await s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: 'data.csv' }));
    expect(await object.Body?.transformToString()).toBe('version one');
  });

  it('keeps data across a stop and a start on the same home', async () => {
    const first = await start();
    const before = contextOf(first);
    await before.ddb.send(
      new PutCommand({ TableName: first.tables.registry, Item: { pk: 'churn', sk: 'POLICY', v: 1 } }),
    );
    await before.s3.send(new PutObjectCommand({ Bucket: first.bucket, Key: 'kept.txt', Body: 'still here' }));
    await first.stop();

    const second = await start();
    const after = contextOf(second);
    const item = await after.ddb.send(
      new GetCommand({ TableName: second.tables.registry, Key: { pk: 'churn', sk: 'POLICY' } }),
    );
    const object = await after.s3.send(new GetObjectCommand({ Bucket: second.bucket, Key: 'kept.txt' }));

    expect(item.Item).toEqual({ pk: 'churn', sk: 'POLICY', v: 1 });
    expect(await object.Body?.transformToString()).toBe('still here');
  });

  it('points the Kaizen configuration at the local resources', async () => {
    const stack = await start();
    expect(contextOf(stack).config).toEqual({
      metricsTable: 'kaizen-metrics',
      registryTable: 'kaizen-registry',
      runsTable: 'kaizen-runs',
      bucket: 'kaizen-artifacts',
    });
  });

  it('gives the context the loop starter it is built with', async () => {
    const stack = await start();
    const started: string[] = [];
    const ctx = stack.context({
      async start(name) {
        started.push(name);
      },
    });
    contexts.push(ctx);
    await ctx.loops.start('auto-churn-1', { modelId: 'churn', force: false, dryRun: false });
    expect(started).toEqual(['auto-churn-1']);
  });
});

describe('the environment of a local stack', () => {
  const saved: Record<string, string | undefined> = {};
  const touched = [
    'AWS_REGION',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_SESSION_TOKEN',
    'POWERTOOLS_LOG_LEVEL',
  ];
  beforeEach(() => {
    for (const key of touched) saved[key] = process.env[key];
    // A shell set up for real AWS: none of it may redirect or break the local clients.
    process.env.AWS_REGION = 'eu-west-3';
    process.env.AWS_SESSION_TOKEN = 'a-real-session';
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:9';
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:9';
  });
  afterEach(() => {
    for (const key of touched) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("reaches the local servers whatever the shell's AWS settings say", async () => {
    const stack = await start();
    const ctx = contextOf(stack);
    await ctx.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'here.txt', Body: 'local' }));
    await ctx.ddb.send(new PutCommand({ TableName: stack.tables.runs, Item: { pk: 'm', sk: 'x' } }));
    const object = await ctx.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: 'here.txt' }));
    expect(await object.Body?.transformToString()).toBe('local');
  });

  it.each([
    ['POWERTOOLS_SERVICE_NAME', 'kaizen-loop'],
    ['POWERTOOLS_LOG_LEVEL', 'SILENT'],
    ['POWERTOOLS_METRICS_DISABLED', 'true'],
    ['POWERTOOLS_TRACE_ENABLED', 'false'],
  ])("sets the in-process handlers' %s to %s while running", async (name, value) => {
    await start();
    expect(process.env[name]).toBe(value);
  });

  it('sets no AWS or Kaizen variable: the context carries endpoints, credentials and names', async () => {
    const before = { ...process.env };
    await start();
    const changed = Object.keys({ ...before, ...process.env }).filter(
      (key) => before[key] !== process.env[key],
    );
    expect(changed.filter((key) => !key.startsWith('POWERTOOLS_'))).toEqual([]);
  });

  it('passes the log level to Powertools', async () => {
    running.push(await startLocalStack({ home, logLevel: 'DEBUG' }));
    expect(process.env.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
  });

  it('restores the previous environment on stop', async () => {
    const before = { ...process.env };
    const stack = await startLocalStack({ home });
    await stack.stop();

    expect(process.env).toEqual(before);
    expect(process.env.AWS_SESSION_TOKEN).toBe('a-real-session');
  });
});

describe('one home, one stack', () => {
  const lockMessage = /another kaizen command is using .*; wait for it or set KAIZEN_HOME to another folder/;

  /** Starts a process that holds a stack on `dir` until its stdin closes. */
  async function holdInChild(dir: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/local/hold-home.ts', dir], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (data: Buffer) => {
        out += data.toString();
        if (out.includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`holder exited with ${code} before it was ready`)));
    });
    return child;
  }

  it('lets a read-only command attach to the stack another process runs, while it runs', async () => {
    const child = await holdInChild(home);
    try {
      const attached = await attachLocalStack(home);
      expect(attached.attached).toBe(true);
      const ctx = attached.context({ start: () => Promise.reject(new Error('read-only')) });
      contexts.push(ctx);
      await ctx.s3.send(new PutObjectCommand({ Bucket: attached.bucket, Key: 'seen.txt', Body: 'yes' }));
      const object = await ctx.s3.send(new GetObjectCommand({ Bucket: attached.bucket, Key: 'seen.txt' }));
      expect(await object.Body?.transformToString()).toBe('yes');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await exited;
    }
    // Once that process is gone, there is nothing to attach to.
    await expect(attachLocalStack(home)).rejects.toThrow(/publishes no stack to read/);
  });

  it('rejects with the cause when DynamoDB cannot open in its worker, and holds nothing on the home', async () => {
    await writeFile(join(home, 'lock'), 'a file where the lock folder goes');

    const error = await startLocalStack({ home }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(LocalHomeError);
    expect((error as Error & { code?: string }).code).toBe('LEVEL_DATABASE_NOT_OPEN');
    expect(((error as Error).cause as { code?: string }).code).toBe('EEXIST');
    // Nothing was published for readers, and once the folder is usable the home starts.
    await expect(attachLocalStack(home)).rejects.toThrow(/publishes no stack to read/);
    await rm(join(home, 'lock'));
    expect((await start()).home).toBe(home);
  });

  it('names an unusable home folder as bad input', async () => {
    const error = await startLocalStack({ home: '/dev/null/kaizen' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalHomeError);
    expect((error as LocalHomeError).userFault).toBe(true);
    expect((error as Error).message).toBe(
      'cannot keep the local state in /dev/null/kaizen (--home or KAIZEN_HOME): ENOTDIR',
    );
  });

  it('refuses a second stack on a home this process already uses', async () => {
    await start();
    await expect(startLocalStack({ home })).rejects.toThrow(lockMessage);
  });

  it('refuses a home another process uses, and accepts it once that process stops', async () => {
    const child = await holdInChild(home);
    await expect(startLocalStack({ home })).rejects.toThrow(lockMessage);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    expect(await exited).toBe(0);
    const stack = await start();
    expect(stack.home).toBe(home);
  });

  it('leaves the environment untouched when it refuses', async () => {
    await start();
    const before = { ...process.env };
    await startLocalStack({ home }).catch(() => undefined);
    expect(process.env).toEqual(before);
  });
});
