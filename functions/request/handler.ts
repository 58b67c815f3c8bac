import { stepHandler } from '#runtime/handler.ts';
import { request } from './request.ts';

export const handler = stepHandler('request', (ctx, event: Parameters<typeof request>[1]) =>
  request(ctx, event),
);
