import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SNS_PUBLISH } from '#contracts/workflows.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../lambda-context.ts';
import type { LocalIntegration } from './types.ts';

/** Name of the notifier's output file inside the home folder. */
export const NOTIFICATIONS_FILE = 'notifications.jsonl';
export const LOCAL_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:kaizen-notifications`;

/** The local SNS (`sns:publish`): one JSON line per message (subject, message, attributes) in `<home>/notifications.jsonl`. */
export function snsIntegration(home: string): LocalIntegration {
  return {
    target: (resource) => (resource === SNS_PUBLISH ? 'notify' : undefined),
    async run({ state, input, beforeTask }) {
      await beforeTask?.({ state, step: 'notify', input });
      const { TopicArn, Subject, Message, MessageAttributes } = (input ?? {}) as {
        TopicArn?: string;
        Subject?: string;
        Message?: string;
        MessageAttributes?: Record<string, { DataType: string; StringValue: string }>;
      };
      const line = {
        at: new Date().toISOString(),
        topicArn: TopicArn,
        subject: Subject,
        message: Message,
        ...(MessageAttributes ? { attributes: MessageAttributes } : {}),
      };
      await mkdir(home, { recursive: true });
      await appendFile(join(home, NOTIFICATIONS_FILE), `${JSON.stringify(line)}\n`);
      return { MessageId: randomUUID() };
    },
  };
}
