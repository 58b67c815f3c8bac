import { stepHandler } from '#runtime/handler.ts';
import { verify } from './verify.ts';

export const handler = stepHandler('verify', verify);
