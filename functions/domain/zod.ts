/**
 * zod's functional build (tree-shakable: a Lambda bundle keeps only the validators it uses) with its English
 * messages, which only the classic build loads by itself. Schemas import `z` from here, never from `zod`.
 */
import * as z from 'zod/mini';
// The one locale by its own path: the locales index would bundle every language.
import en from 'zod/v4/locales/en.js';

z.config(en());

export * from 'zod/mini';
