import { stepHandler } from '#runtime/handler.ts';
import { evaluate } from './evaluate.ts';

export const handler = stepHandler('evaluate', evaluate);
