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
