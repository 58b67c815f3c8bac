import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { isDropKey, REPORT_SUFFIX } from '#domain/drop.ts';
import { objectKeyIssue } from '#domain/object-key.ts';
import { packFolder, SKIPPED_FOLDERS } from '#local/integrations/sagemaker.ts';
import { putBytes, sha256 } from '#stores/artifacts.ts';
import { ingestDropped } from '../../functions/ingest/drop.ts';
import { type Fail, type Io, UsageError } from '../io.ts';
import { type GlobalOptions, globalOptions, withBackend } from '../options.ts';
import { printLoop } from '../render.ts';

/** Files of a packed folder listed by name in the human output; the rest are counted. */
const LISTED_FILES = 20;

/** Registers `kaizen upload <path> <key>`. */
export function registerUploadCommand(program: Command, io: Io, fail: Fail): void {
  program
    .command('upload')
    .argument(
      '<path>',
      'local file (CSV, JSON Lines or Parquet), or a folder to pack as a .tar.gz (training code)',
    )
    .argument(
      '<key>',
      'object key in the artifacts bucket, e.g. datasets/churn/train.csv; a key under ingest/ is ingested as observations',
    )
    .description(
      'put a dataset into the artifacts bucket (training data, holdouts, monitoring windows), or a folder packed ' +
        "as a gzipped tar (SageMaker's sourcedir.tar.gz; .git, __pycache__ and node_modules left out)",
    )
    .action(async (path: string, key: string) => {
      const globals = globalOptions(program);
      const issue = objectKeyIssue(key);
      if (issue) throw new UsageError(`key ${JSON.stringify(key.slice(0, 80))} ${issue}`);
      const info = await stat(path).catch((error: Error) => {
        throw new UsageError(`${path}: ${error.message}`);
      });
      if (info.isDirectory()) {
        if (!key.endsWith('.tar.gz'))
          throw new UsageError(`${path} is a folder, packed as a gzipped tar: its key must end in .tar.gz`);
        const packed = await packFolder(path, SKIPPED_FOLDERS);
        if (packed.files.length === 0) throw new UsageError(`${path} has no files to pack`);
        const { archive, files, bytes } = packed;
        await withBackend(globals, ({ ctx }) => putBytes(ctx, key, archive, 'application/gzip'), {
          shared: true,
        });
        const digest = sha256(archive);
        if (globals.json) {
          io.out(
            JSON.stringify({
              uploaded: key,
              bytes: archive.length,
              sha256: digest,
              files,
              filesBytes: bytes,
            }),
          );
          return;
        }
        io.out(
          `packed ${files.length} file${files.length === 1 ? '' : 's'} (${bytes} bytes) from ${path} and uploaded ` +
            `to ${key} (${archive.length} bytes gzipped, sha256 ${digest.slice(0, 12)})`,
        );
        for (const file of files.slice(0, LISTED_FILES)) io.out(`  ${file}`);
        if (files.length > LISTED_FILES) io.out(`  ... and ${files.length - LISTED_FILES} more`);
        return;
      }
      const body = await readFile(path).catch((error: Error) => {
        throw new UsageError(`${path}: ${error.message}`);
      });
      if (isDropKey(key)) return dropFile(globals, io, fail, path, key, body);
      // An upload only adds an object: a local trainer may upload its model while the run that waits for it holds the home.
      await withBackend(globals, ({ ctx }) => putBytes(ctx, key, body), { shared: true });
      if (globals.json) io.out(JSON.stringify({ uploaded: key, bytes: body.length, sha256: sha256(body) }));
      else io.out(`uploaded ${path} to ${key} (${body.length} bytes, sha256 ${sha256(body).slice(0, 12)})`);
    });
}

/**
 * A file put into the drop folder: on AWS the bucket's notification runs the ingest function; locally the same
 * function runs here, and the stored rows go to the trigger's code as the metrics stream would send them.
 * Rejected rows make the exit code 1, as `kaizen ingest`.
 */
async function dropFile(globals: GlobalOptions, io: Io, fail: Fail, path: string, key: string, body: Buffer) {
  const outcome = await withBackend(globals, async (backend) => {
    await putBytes(backend.ctx, key, body);
    if (!backend.local) return undefined;
    const dropped = await ingestDropped(backend.ctx, key);
    const checks = 'newest' in dropped ? await backend.stored(dropped.newest) : [];
    return { dropped, checks, loops: await backend.drain() };
  });
  const report = outcome && 'report' in outcome.dropped ? outcome.dropped.report : undefined;
  if (globals.json) {
    io.out(JSON.stringify({ uploaded: key, bytes: body.length, ...(report ? { report } : {}) }));
  } else if (!report) {
    io.out(
      `uploaded ${path} to ${key}; the stack's ingest function reads it and writes ${key}${REPORT_SUFFIX}`,
    );
  } else {
    io.out(
      `${path} -> ${key}: stored ${report.stored} rows, rejected ${report.rejectedCount}` +
        `${report.unchanged > 0 ? ` (${report.unchanged} rows already stored)` : ''}; moved to ${report.movedTo}, ` +
        `report ${key}${REPORT_SUFFIX}`,
    );
    if (report.error) io.err(`${path}: ${report.error}`);
    for (const row of report.rejected) io.err(`${path}:${row.line}: ${row.reason}`);
    for (const loop of outcome?.loops ?? []) printLoop(io, loop);
  }
  if (report?.status === 'failed') fail();
}
