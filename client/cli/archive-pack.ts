import type { Readable } from 'node:stream';
import { tarGzStream } from '../../schema/tar-gz-writer.ts';
import type { LocalFile } from './local-files.ts';

/** The files as a .tar.gz stream, each exactly its UTF-8 bytes (the same writer the server exports with). */
export function packTarGz(files: readonly LocalFile[]): Readable {
  return tarGzStream(files, new Date());
}
