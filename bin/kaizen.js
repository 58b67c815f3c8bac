#!/usr/bin/env node
// Launcher: the CLI is TypeScript, run through tsx's loader (Node >= 22; `npx kaizen` uses the project's Node).
import { register } from 'tsx/esm/api';

register();
await import('./kaizen.ts');
