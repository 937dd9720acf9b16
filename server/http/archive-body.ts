import type { Context } from 'hono';
import type { z } from 'zod';
import { type ArchiveFormat, formatOfContentType } from '../../schema/import-rules.ts';
import { AppError } from '../errors.ts';
import { type SpooledUpload, spoolUpload } from '../project/archive-upload.ts';

export interface ArchiveBodyOptions<Q extends z.ZodType> {
  /** the route's query parameters */
  query: Q;
  /** what the archive is, for the error that names the accepted types ("the archive", "the base version") */
  what: string;
  /** refuses the caller before a byte of the body is stored (no permission, no room) */
  authorize: () => Promise<void>;
  uploadDir: string;
  maxBytes: number;
}

export interface ArchiveBody<Q extends z.ZodType> {
  query: z.infer<Q>;
  format: ArchiveFormat;
  /** the spooled body: dispose it when done */
  upload: SpooledUpload;
}

/**
 * Reads an archive upload the way every archive route does (import, base version): the query is parsed,
 * the format comes from the Content-Type, the caller is authorized, and only then is the body streamed to
 * a spool file under the size cap.
 */
export async function readArchiveBody<Q extends z.ZodType>(
  c: Context,
  opts: ArchiveBodyOptions<Q>,
): Promise<ArchiveBody<Q>> {
  const query = opts.query.safeParse(c.req.query());
  if (!query.success) {
    const issue = query.error.issues[0];
    throw new AppError(
      'bad_request',
      `invalid query: ${issue?.path.join('.') || 'query'}: ${issue?.message}`,
    );
  }
  const format = formatOfContentType(c.req.header('content-type'));
  if (!format) {
    throw new AppError(
      'unsupported_media_type',
      `send ${opts.what} as application/zip or application/gzip (a .tar.gz)`,
    );
  }
  await opts.authorize();
  const length = Number(c.req.header('content-length'));
  const upload = await spoolUpload(
    c.req.raw.body,
    opts.uploadDir,
    opts.maxBytes,
    Number.isFinite(length) ? length : null,
  );
  return { query: query.data as z.infer<Q>, format, upload };
}
