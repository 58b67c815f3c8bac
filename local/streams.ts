import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { type Observation, observationKey } from '#domain/observations.ts';

type StreamImage = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

/**
 * Stream-shaped records (as DynamoDB Streams delivers NEW_IMAGE inserts to the trigger) of stored
 * observations: locally, dynalite has no streams, so the CLI hands these to the trigger's code.
 */
export function streamRecords(observations: readonly Observation[]): DynamoDBRecord[] {
  return observations.map((observation, index) => {
    const keys = { pk: observation.modelId, sk: observationKey(observation) };
    return {
      eventID: String(index),
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        Keys: marshall(keys) as StreamImage,
        NewImage: marshall({ ...keys, ...observation }, { removeUndefinedValues: true }) as StreamImage,
        StreamViewType: 'NEW_IMAGE',
      },
    };
  });
}
