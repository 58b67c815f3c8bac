import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localBackend } from '../../cli/backend.ts';
import { cliIn } from '../support/cli.ts';

let home: string;
const { kaizen } = cliIn(() => home);

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-upload-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** A training-code folder with what `kaizen upload` leaves out beside what it packs. */
async function codeFolder(): Promise<string> {
  const folder = join(home, 'code');
  const files: Record<string, string> = {
    'train.py': 'print("training")\n',
    'requirements.txt': '',
    'lib/features.py': 'FEATURES = ["tenure"]\n',
    'lib/__pycache__/features.cpython-312.pyc': 'compiled',
    '.git/HEAD': 'ref: refs/heads/main\n',
    'node_modules/x/index.js': 'module.exports = 1;\n',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(folder, path, '..'), { recursive: true });
    await writeFile(join(folder, path), text);
  }
  return folder;
}

/** The object at `key` of the local artifacts bucket. */
async function object(key: string): Promise<Buffer> {
  const backend = await localBackend(home);
  try {
    const output = await backend.ctx.s3.send(
      new GetObjectCommand({ Bucket: backend.ctx.config.bucket, Key: key }),
    );
    return Buffer.from((await output.Body?.transformToByteArray()) ?? []);
  } finally {
    await backend.close();
  }
}

/** The entries of a gzipped tar, in archive order, with each file's text. */
async function entries(archive: Buffer): Promise<{ path: string; type: string; text: string }[]> {
  const found: { path: string; type: string; text: string }[] = [];
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () =>
        found.push({ path: entry.path, type: entry.type, text: Buffer.concat(chunks).toString() }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(archive);
  });
  return found;
}

describe('kaizen upload <folder> <key>', () => {
  it('packs the folder as a gzipped tar of relative paths, in order, without .git, __pycache__ or node_modules', async () => {
    const folder = await codeFolder();
    const result = await kaizen('upload', folder, 'code/churn/sourcedir.tar.gz');
    expect(result.code).toBe(0);
    const [summary, ...listed] = result.out.split('\n');
    expect(summary).toMatch(
      /^packed 3 files \(40 bytes\) from .*code and uploaded to code\/churn\/sourcedir\.tar\.gz \(\d+ bytes gzipped, sha256 [0-9a-f]{12}\)$/,
    );
    expect(listed).toEqual(['  lib/features.py', '  requirements.txt', '  train.py']);

    const archive = await object('code/churn/sourcedir.tar.gz');
    expect(archive.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(await entries(archive)).toEqual([
      { path: 'lib/', type: 'Directory', text: '' },
      { path: 'lib/features.py', type: 'File', text: 'FEATURES = ["tenure"]\n' },
      { path: 'requirements.txt', type: 'File', text: '' },
      { path: 'train.py', type: 'File', text: 'print("training")\n' },
    ]);

    // The same files pack to the same bytes.
    const again = JSON.parse((await kaizen('--json', 'upload', folder, 'code/churn/again.tar.gz')).out);
    expect(again).toMatchObject({
      uploaded: 'code/churn/again.tar.gz',
      files: ['lib/features.py', 'requirements.txt', 'train.py'],
      filesBytes: 40,
      bytes: archive.length,
    });
    expect((await object('code/churn/again.tar.gz')).equals(archive)).toBe(true);
  });

  it('refuses a key that does not end in .tar.gz, and an empty folder', async () => {
    const folder = await codeFolder();
    const wrongKey = await kaizen('upload', folder, 'code/churn/sourcedir.zip');
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.err).toContain('is a folder, packed as a gzipped tar: its key must end in .tar.gz');

    const empty = join(home, 'empty');
    await mkdir(join(empty, '__pycache__'), { recursive: true });
    const nothing = await kaizen('upload', empty, 'code/empty.tar.gz');
    expect(nothing.code).toBe(2);
    expect(nothing.err).toContain('has no files to pack');
  });
});
