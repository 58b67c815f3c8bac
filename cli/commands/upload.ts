import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { objectKeyIssue } from '#domain/object-key.ts';
import { putBytes, sha256 } from '#stores/artifacts.ts';
import { type Io, UsageError } from '../io.ts';
import { globalOptions, withBackend } from '../options.ts';

/** Registers `kaizen upload <file> <key>`. */
export function registerUploadCommand(program: Command, io: Io): void {
  program
    .command('upload')
    .argument('<file>', 'local file (CSV, JSON Lines or Parquet)')
    .argument('<key>', 'object key in the artifacts bucket, e.g. datasets/churn/train.csv')
    .description('put a dataset into the artifacts bucket (training data, holdouts, monitoring windows)')
    .action(async (path: string, key: string) => {
      const globals = globalOptions(program);
      const issue = objectKeyIssue(key);
      if (issue) throw new UsageError(`key ${JSON.stringify(key.slice(0, 80))} ${issue}`);
      const body = await readFile(path).catch((error: Error) => {
        throw new UsageError(`${path}: ${error.message}`);
      });
      await withBackend(globals, ({ ctx }) => putBytes(ctx, key, body));
      if (globals.json) io.out(JSON.stringify({ uploaded: key, bytes: body.length, sha256: sha256(body) }));
      else io.out(`uploaded ${path} to ${key} (${body.length} bytes, sha256 ${sha256(body).slice(0, 12)})`);
    });
}
