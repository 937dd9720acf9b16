import type { ArchiveFormat } from '../../schema/import-rules.ts';
import { apiPaths } from '../../schema/protocol.ts';

export interface UploadResult<T = unknown> {
  status: number;
  body: T;
}

/** POSTs an archive to the import route the way the CLI and the web client do. */
export async function uploadArchive<T = unknown>(
  baseUrl: string,
  roomId: string,
  token: string,
  bytes: Uint8Array,
  opts: { format?: ArchiveFormat; contentType?: string; prefix?: string; overwrite?: boolean } = {},
): Promise<UploadResult<T>> {
  const query = new URLSearchParams();
  if (opts.prefix !== undefined) query.set('prefix', opts.prefix);
  if (opts.overwrite) query.set('overwrite', 'true');
  const qs = query.size > 0 ? `?${query}` : '';
  const contentType =
    opts.contentType ?? ((opts.format ?? 'zip') === 'zip' ? 'application/zip' : 'application/gzip');
  const res = await fetch(`${baseUrl}${apiPaths.importArchive(roomId)}${qs}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T };
}

/** GETs an export as bytes. */
export async function downloadExport(
  baseUrl: string,
  roomId: string,
  token: string,
  format: ArchiveFormat,
): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${baseUrl}${apiPaths.exportArchive(roomId, format)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}
