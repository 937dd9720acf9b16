import type { ArchiveFormat } from '../../../../schema/import-rules.ts';
import { archiveContentTypes } from '../../../../schema/import-rules.ts';
import { apiPaths, type ImportResponse } from '../../../../schema/protocol.ts';
import { SparkroomError } from '../../../sdk/sparkroom-error.ts';

/**
 * Uploads an archive with XMLHttpRequest, the one browser API that reports upload progress (fetch does
 * not), to POST /api/rooms/:id/import. Errors come back as SparkroomError like every other call.
 */
export function uploadArchive(
  roomId: string,
  token: string,
  body: Blob,
  format: ArchiveFormat,
  opts: { overwrite?: boolean; onProgress?: (sent: number, total: number) => void },
): Promise<ImportResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${apiPaths.importArchive(roomId)}${opts.overwrite ? '?overwrite=true' : ''}`);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('content-type', archiveContentTypes[format][0]!);
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : body.size);
    xhr.onerror = () => reject(new SparkroomError('network', 'cannot reach the Sparkroom server', 0));
    xhr.onload = () => {
      const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
      if (xhr.status >= 200 && xhr.status < 300) {
        res.json().then((v) => resolve(v as ImportResponse), reject);
      } else {
        SparkroomError.fromResponse(res).then(reject, reject);
      }
    };
    xhr.send(body);
  });
}

/** Downloads the room's accepted code as an archive and hands it to the browser as a file. */
export async function downloadArchive(roomId: string, token: string, format: ArchiveFormat): Promise<void> {
  let res: Response;
  try {
    res = await fetch(apiPaths.exportArchive(roomId, format), {
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (err) {
    throw new SparkroomError('network', 'cannot reach the Sparkroom server', 0, { cause: err });
  }
  if (!res.ok) throw await SparkroomError.fromResponse(res);
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `room.${format}`;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has started the download; the URL is released once it has been read.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
