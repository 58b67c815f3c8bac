import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { LOCAL_REGION } from '#local/lambda-context.ts';
import { LOCAL_CREDENTIALS } from '#local/stack.ts';
import { eventBridgePublisher, lazyS3Client } from '#runtime/context.ts';
import { useLocalStack } from '../../support/stack.ts';

const local = useLocalStack();

describe('lazyS3Client', () => {
  it('builds no client before the first request, then one client for every request', async () => {
    const s3 = lazyS3Client({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: local.stack.endpoints.s3,
      forcePathStyle: true,
    });
    s3.destroy(); // nothing built yet: nothing to destroy, and no error

    const [first, second] = await Promise.all([s3.client(), s3.client()]);
    expect(first).toBe(second);

    await s3.send(new PutObjectCommand({ Bucket: local.stack.bucket, Key: 'lazy.txt', Body: 'built once' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: local.stack.bucket, Key: 'lazy.txt' }));
    expect(await object.Body?.transformToString()).toBe('built once');
    expect(await s3.client()).toBe(first);
    s3.destroy();
  });

  it("sends a context's requests to the context's S3", async () => {
    await local.ctx.s3.send(
      new PutObjectCommand({ Bucket: local.stack.bucket, Key: 'ctx.txt', Body: 'seen' }),
    );
    const object = await local.ctx.s3.send(
      new GetObjectCommand({ Bucket: local.stack.bucket, Key: 'ctx.txt' }),
    );
    expect(await object.Body?.transformToString()).toBe('seen');
  });
});

describe('eventBridgePublisher', () => {
  /** A client answering PutEvents as EventBridge does, with `entry` as the one result; records the requests. */
  function answering(entry: Record<string, string>, failed: number) {
    const client = new EventBridgeClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const requests: unknown[] = [];
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        requests.push({ command: context.commandName, input: args.input });
        return { output: { $metadata: {}, FailedEntryCount: failed, Entries: [entry] }, response: {} };
      },
      { step: 'initialize', name: 'answer-as-eventbridge' },
    );
    return { client, requests };
  }

  it('puts one entry on the bus with the kaizen-loop source', async () => {
    const { client, requests } = answering({ EventId: 'e-1' }, 0);
    await eventBridgePublisher('kaizen-bus', client).publish('Model promoted', { modelId: 'churn' });
    expect(requests).toEqual([
      {
        command: 'PutEventsCommand',
        input: {
          Entries: [
            {
              EventBusName: 'kaizen-bus',
              Source: 'kaizen-loop',
              DetailType: 'Model promoted',
              Detail: JSON.stringify({ modelId: 'churn' }),
            },
          ],
        },
      },
    ]);
  });

  it('fails naming the error code of an entry EventBridge refused', async () => {
    const { client } = answering({ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }, 1);
    await expect(eventBridgePublisher('kaizen-bus', client).publish('Model promoted', {})).rejects.toThrow(
      'could not publish "Model promoted" on kaizen-bus: ThrottlingException slow down',
    );
  });
});
