import { stepHandler } from '#shared/handler.ts';
import { monitor } from './monitor.ts';

export const handler = stepHandler('monitor', monitor);
