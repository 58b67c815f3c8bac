import { stepHandler } from '#runtime/handler.ts';
import { prepare } from './prepare.ts';

export const handler = stepHandler('prepare', prepare);
