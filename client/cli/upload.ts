import { Readable, Transform } from 'node:stream';
import type { ImportResponse } from '../../schema/protocol.ts';
import type { SparkroomClient } from '../sdk/sparkroom-client.ts';
import { packTarGz } from './archive-pack.ts';
import type { LocalFile } from './local-files.ts';
import type { Output } from './output.ts';

/** Packs the files and streams them to the room's import route, showing how much has been sent. */
export async function uploadFiles(
  client: SparkroomClient,
  files: readonly LocalFile[],
  out: Output,
  opts: { prefix?: string; overwrite?: boolean } = {},
): Promise<ImportResponse> {
  const textBytes = files.reduce((n, f) => n + f.bytes, 0);
  let sent = 0;
  const label = `uploading ${files.length} files (${(textBytes / 1024 / 1024).toFixed(1)} MB of text), sent`;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      out.progress(label, sent, null);
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(packTarGz(files).pipe(counter)) as unknown as ReadableStream<Uint8Array>;
  try {
    return await client.importArchive(body, { format: 'tar.gz', ...opts });
  } finally {
    out.progressDone();
  }
}

/** One line per problem an import reported, for people. */
export function describeImport(result: ImportResponse): string[] {
  const lines = [
    `imported ${result.created.length} new and ${result.updated.length} updated files` +
      `${result.unchanged.length > 0 ? ` (${result.unchanged.length} already there)` : ''}`,
  ];
  for (const c of result.conflicts) lines.push(`  conflict: ${c.path}: ${c.reason}`);
  if (result.skippedCount > 0)
    lines.push(`  ${result.skippedCount} files stayed out (ignored, binary or too large)`);
  return lines;
}
