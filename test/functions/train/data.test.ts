import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { DataError, DatasetError, ObjectNotFoundError } from '#contracts/errors.ts';
import { concatenateCsv, parseNumericTable } from '#datasets/index.ts';
import { type ModelPolicy, parsePolicy } from '#domain/policy.ts';
import { getText, sha256, UPLOAD_PART_BYTES } from '#stores/artifacts.ts';
import { readNumericCsv, readRunDataset } from '../../../functions/train/data.ts';
import { thrownBy } from '../../support/errors.ts';
import { ROOT } from '../../support/loop.ts';
import { useLocalStack } from '../../support/stack.ts';

const AS_OF = '2026-03-04T00:00:00.000Z';

function policyFor(dataset: string, window = 'P3D'): ModelPolicy {
  const example = JSON.parse(readFileSync(join(ROOT, 'examples/churn-policy.json'), 'utf8'));
  return parsePolicy({
    ...example,
    training: {
      ...example.training,
      dataset,
      ...(dataset.includes('{date}') ? { window } : {}),
      features: ['a', 'b'],
      label: 'y',
    },
  });
}

/** Rows `a,b,y` (plus a text column), deterministic. */
function rows(count: number, start = 0): string {
  return Array.from({ length: count }, (_, k) => {
    const i = start + k;
    return `${(i % 97) / 7},${(i * 31) % 13},note ${i},${i % 3 === 0 ? 1 : 0}\n`;
  }).join('');
}
const HEADER = 'a,b,text,y\n';

describe('readRunDataset (local S3)', () => {
  const local = useLocalStack();
  const bucket = () => local.stack.bucket;
  const put = (key: string, body: string | Uint8Array) =>
    local.ctx.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body }));
  const exists = (key: string) =>
    local.ctx.s3.send(new HeadObjectCommand({ Bucket: bucket(), Key: key })).then(
      () => true,
      () => false,
    );
  const read = (template: string, options: { snapshotKey?: string } = {}) =>
    readRunDataset(local.ctx, template, AS_OF, 'P3D', policyFor(template), options);

  it('reads one object: the table of the policy columns, the hash of its text, a snapshot copied on commit', async () => {
    const text = `\uFEFF${HEADER}${rows(50)}`;
    await put('d/one.csv', text);
    const data = await read('d/one.csv', { snapshotKey: 'm/snap/one.csv' });
    const expected = await parseNumericTable(text, ['a', 'b', 'y'], { source: `s3://${bucket()}/d/one.csv` });
    expect(data.keys).toEqual(['d/one.csv']);
    expect(data.sha256).toBe(sha256(text));
    expect(data.table).toEqual(expected);
    expect(await exists('m/snap/one.csv')).toBe(false);
    await data.snapshot?.commit();
    expect(await getText(local.ctx, 'm/snap/one.csv')).toBe(text);
  });

  it('joins daily objects under one header, hashing and snapshotting exactly the text concatenateCsv makes', async () => {
    // A byte-order mark, CRLF line ends, a last row without a line break, a padded header, a day of no rows.
    const days = {
      'd/daily/2026-03-01.csv': `\uFEFF${HEADER}${rows(30)}`,
      'd/daily/2026-03-02.csv': `a,b,text,y \r\n${rows(20, 30).replaceAll('\n', '\r\n').trimEnd()}`,
      'd/daily/2026-03-03.csv': HEADER,
    };
    for (const [key, text] of Object.entries(days)) await put(key, text);
    const data = await read('d/daily/{date}.csv', { snapshotKey: 'm/snap/daily.csv' });
    const joined = concatenateCsv(Object.entries(days).map(([key, text]) => ({ source: key, text })));
    expect(data.keys).toEqual(Object.keys(days));
    expect(data.sha256).toBe(sha256(joined));
    expect(data.table.source).toBe(`3 daily objects of d/daily/{date}.csv`);
    expect(data.table.rows).toBe(50);
    const expected = await parseNumericTable(joined, ['a', 'b', 'y']);
    expect(data.table.values).toEqual(expected.values);
    expect(data.table.lines).toEqual(expected.lines);
    await data.snapshot?.commit();
    expect(await getText(local.ctx, 'm/snap/daily.csv')).toBe(joined);
  });

  it('uploads the snapshot of large daily objects in parts, only when committed', async () => {
    const perDay = Math.ceil((UPLOAD_PART_BYTES * 0.6) / rows(1, 10_000).length);
    const days = ['2026-03-01', '2026-03-02', '2026-03-03'].map((day, d) => ({
      key: `d/big/${day}.csv`,
      text: `${HEADER}${rows(perDay, d * perDay)}`,
    }));
    for (const { key, text } of days) await put(key, text);
    const data = await read('d/big/{date}.csv', { snapshotKey: 'm/snap/big.csv' });
    const joined = concatenateCsv(days.map(({ key, text }) => ({ source: key, text })));
    expect(joined.length).toBeGreaterThan(UPLOAD_PART_BYTES);
    expect(data.table.rows).toBe(3 * perDay);
    expect(await exists('m/snap/big.csv')).toBe(false);
    await data.snapshot?.commit();
    const snapshot = await getText(local.ctx, 'm/snap/big.csv');
    expect(snapshot.length).toBe(joined.length);
    expect(sha256(snapshot)).toBe(data.sha256);
  });

  it('writes no snapshot when aborted', async () => {
    await put('d/keep/2026-03-01.csv', HEADER + rows(5));
    await put('d/keep/2026-03-02.csv', HEADER + rows(5));
    await put('d/keep/2026-03-03.csv', HEADER + rows(5));
    const data = await read('d/keep/{date}.csv', { snapshotKey: 'm/snap/aborted.csv' });
    await data.snapshot?.abort();
    expect(await exists('m/snap/aborted.csv')).toBe(false);
  });

  it.each([
    [
      'a cell that is not a number, in the second daily object',
      { '2026-03-02': `${HEADER}1,2,x,0\n3,oops,x,1\n` },
      'd/bad1/2026-03-02.csv:3: column "b": "oops" is not a finite number',
    ],
    [
      'a label other than 0/1, after blank lines of the third',
      { '2026-03-03': `${HEADER}\n\n1,2,x,2\n` },
      'd/bad2/2026-03-03.csv:4: label "y" is 2, expected 0 or 1',
    ],
    [
      'a row with too many fields in the first',
      { '2026-03-01': `${HEADER}1,2,x,0\n1,2,x,0,9\n` },
      'd/bad3/2026-03-01.csv:3: Invalid Record Length',
    ],
  ])('names the daily object and its own line for %s, and keeps no snapshot', async (_, bad, message) => {
    const name = message.slice(0, message.indexOf('/2026'));
    for (const day of ['2026-03-01', '2026-03-02', '2026-03-03']) {
      await put(`${name}/${day}.csv`, bad[day as keyof typeof bad] ?? HEADER + rows(3));
    }
    const error = await read(`${name}/{date}.csv`, { snapshotKey: `m/snap/${name}.csv` }).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain(`s3://${bucket()}/${message}`);
    expect(await exists(`m/snap/${name}.csv`)).toBe(false);
  });

  it('names the line of one object and lists up to 10 problems', async () => {
    await put('d/many.csv', `${HEADER}${Array.from({ length: 12 }, (_, i) => `${i},b${i},x,0\n`).join('')}`);
    const error = await read('d/many.csv').catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.problems).toHaveLength(10);
    expect(error.problems[0]).toBe(`s3://${bucket()}/d/many.csv:2: column "b": "b0" is not a finite number`);
    expect(error.message).toContain('... and 2 more');
  });

  it('rejects a daily object whose header differs, naming it', async () => {
    await put('d/hdr/2026-03-01.csv', HEADER + rows(2));
    await put('d/hdr/2026-03-02.csv', `a,b,y\n1,2,0\n`);
    await put('d/hdr/2026-03-03.csv', HEADER + rows(2));
    const error = await read('d/hdr/{date}.csv').catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toBe(
      `s3://${bucket()}/d/hdr/2026-03-02.csv: its header "a,b,y" differs from "a,b,text,y" of s3://${bucket()}/d/hdr/2026-03-01.csv`,
    );
  });

  it('fails with ObjectNotFoundError naming a missing day', async () => {
    await put('d/gap/2026-03-01.csv', HEADER + rows(2));
    await put('d/gap/2026-03-03.csv', HEADER + rows(2));
    await expect(read('d/gap/{date}.csv')).rejects.toThrow(
      new ObjectNotFoundError(`s3://${bucket()}/d/gap/2026-03-02.csv does not exist`),
    );
  });

  it('names a missing policy column with the header', async () => {
    await put('d/cols.csv', 'a,text,y\n1,x,0\n');
    const error = await read('d/cols.csv').catch((e) => e);
    expect(error.message).toBe(`s3://${bucket()}/d/cols.csv: missing column "b" (header: a, text, y)`);
  });
});

describe('readNumericCsv', () => {
  const dataError = (fn: () => unknown) => thrownBy(DataError, fn);

  it('reads text chunks split anywhere into the same table as parseNumericTable', async () => {
    const text = `x,y,z\n${Array.from({ length: 40_000 }, (_, i) => `${i},"${i % 2}",${i / 3}`).join('\n')}\n`;
    async function* pieces() {
      for (let at = 0; at < text.length; at += 1013) yield text.slice(at, at + 1013);
    }
    const table = await readNumericCsv(pieces(), ['z', 'y'], { source: 'f.csv', label: 'y' });
    expect(table).toEqual(await parseNumericTable(text, ['z', 'y'], { source: 'f.csv' }));
  });

  it.each([
    ['', 'f.csv: empty file, no header row'],
    ['x,y\n', 'f.csv: no data rows'],
    ['x,x,y\n1,2,0\n', 'f.csv: column "x" appears more than once in the header'],
    ['x,y\n"1,0\n', 'f.csv:2: Quote Not Closed: the parsing is finished with an opening quote at line 2'],
  ])('rejects %j with a DataError', async (text, message) => {
    await expect(readNumericCsv(text, ['x', 'y'], { source: 'f.csv' })).rejects.toThrow(message);
  });

  it('checks the label only when told which column it is', async () => {
    const text = 'x,y\n1,5\n';
    expect((await readNumericCsv(text, ['x', 'y'], { source: 'f.csv' })).values).toEqual(
      Float64Array.of(1, 5),
    );
    const error = await readNumericCsv(text, ['x', 'y'], { source: 'f.csv', label: 'y' }).catch((e) => e);
    expect(
      dataError(() => {
        throw error;
      }).message,
    ).toBe('f.csv:2: label "y" is 5, expected 0 or 1');
  });
});
