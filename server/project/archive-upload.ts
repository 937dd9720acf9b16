import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError } from '../errors.ts';

/** An uploaded archive spooled to a temporary file (removed by `dispose`). */
export interface SpooledUpload {
  file: string;
  bytes: number;
  dispose(): void;
}

/**
 * Streams a request body to a file under `dir`, never holding it in memory (a zip is read from its end,
 * so it has to land somewhere seekable), and stops with 413 as soon as it passes `maxBytes`.
 */
export async function spoolUpload(
  body: ReadableStream<Uint8Array> | null,
  dir: string,
  maxBytes: number,
  declaredLength: number | null,
): Promise<SpooledUpload> {
  if (body === null) throw new AppError('bad_request', 'the request has no body: send the archive');
  const tooLarge = () => new AppError('too_large', `the archive is larger than ${maxBytes} bytes`);
  if (declaredLength !== null && declaredLength > maxBytes) {
    await body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `upload-${randomBytes(12).toString('hex')}`);
  const dispose = () => rmSync(file, { force: true });
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      bytes += chunk.length;
      if (bytes > maxBytes) done(tooLarge());
      else done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>),
      counter,
      createWriteStream(file, { flags: 'wx', mode: 0o600 }),
    );
  } catch (err) {
    dispose();
    if (err instanceof AppError) throw err;
    throw new AppError('bad_request', 'the upload was cut off before the end', { cause: err });
  }
  if (bytes === 0) {
    dispose();
    throw new AppError('bad_request', 'the archive is empty');
  }
  return { file, bytes, dispose };
}
