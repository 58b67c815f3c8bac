/** The forms a dataset can come in to the text readers (CSV, JSON Lines): whole, or as a stream of chunks. */
import { Readable } from 'node:stream';

/** Text, bytes, or a stream of chunks (an S3 body, a file stream). */
export type DatasetInput = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/** The input as a readable stream of its chunks. */
export function inputStream(input: DatasetInput): Readable {
  if (typeof input === 'string' || input instanceof Uint8Array) return Readable.from([input]);
  return Readable.from(input);
}

/** The input as UTF-8-decoded text chunks; a character split across byte chunks is decoded whole. */
export async function* textChunks(input: DatasetInput): AsyncGenerator<string> {
  if (typeof input === 'string') {
    yield input;
    return;
  }
  const decoder = new TextDecoder('utf-8');
  if (input instanceof Uint8Array) {
    yield decoder.decode(input);
    return;
  }
  for await (const chunk of input)
    yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  yield decoder.decode();
}

/**
 * The input's lines, numbered from 1: `\n` or `\r\n` ends a line, a UTF-8 byte-order mark before the first is
 * dropped, and a last line without an ending is kept when it is not empty.
 */
export async function* textLines(input: DatasetInput): AsyncGenerator<{ line: number; text: string }> {
  let pending = '';
  let line = 0;
  for await (const chunk of textChunks(input)) {
    pending += chunk;
    let start = 0;
    for (let end = pending.indexOf('\n', start); end >= 0; end = pending.indexOf('\n', start)) {
      const text = pending.slice(start, pending.charCodeAt(end - 1) === 13 ? end - 1 : end);
      line += 1;
      yield { line, text: line === 1 ? text.replace(/^\uFEFF/, '') : text };
      start = end + 1;
    }
    pending = pending.slice(start);
  }
  if (pending !== '') {
    line += 1;
    yield { line, text: line === 1 ? pending.replace(/^\uFEFF/, '') : pending };
  }
}
