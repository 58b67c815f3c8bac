import { stepHandler } from '#runtime/handler.ts';
import { monitor } from './monitor.ts';

export const handler = stepHandler('monitor', monitor);
