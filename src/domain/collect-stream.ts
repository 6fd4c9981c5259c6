/**
 * What a streaming writer produces, as one Buffer: for small outputs (a comparison CSV, a test's report) where the
 * caller needs the bytes rather than a stream.
 */
import { PassThrough } from 'node:stream';

export async function collectStream(write: (out: PassThrough) => Promise<void>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  await write(out);
  await ended;
  return Buffer.concat(chunks);
}
