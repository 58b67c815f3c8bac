import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** Writes `count` generated lines (after an optional header) to `path`, in batches, honouring back-pressure. */
export async function writeLines(
  path: string,
  count: number,
  line: (index: number) => string,
  header?: string,
): Promise<void> {
  const out = createWriteStream(path);
  if (header !== undefined) out.write(`${header}\n`);
  let batch: string[] = [];
  for (let i = 0; i < count; i++) {
    batch.push(line(i));
    if (batch.length === 10_000) {
      if (!out.write(`${batch.join('\n')}\n`)) await once(out, 'drain');
      batch = [];
    }
  }
  if (batch.length > 0) out.write(`${batch.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
}
