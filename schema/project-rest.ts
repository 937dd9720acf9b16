import { z } from 'zod';
import { archiveFormats, normalizePrefix } from './import-rules.ts';

/**
 * REST shapes of the project routes (IO-1, IO-10, IO-11), as zod schemas: the server validates queries with
 * them and the OpenAPI document can be generated from them. The TypeScript types clients use are the
 * interfaces in protocol.ts and agent-trace.ts; the tests check that answers parse with these.
 */

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

/** Query of POST /api/rooms/:roomId/import. The body is the archive itself (see archiveContentTypes). */
export const importQuery = z
  .object({
    prefix: z
      .string()
      .max(512)
      .optional()
      .transform((v, ctx) => {
        const prefix = normalizePrefix(v);
        if (prefix === null) {
          ctx.addIssue({ code: 'custom', message: 'prefix must be a relative folder like src/vendor/' });
          return z.NEVER;
        }
        return prefix;
      }),
    overwrite: flag,
  })
  .strict();

const pathReason = z.object({ path: z.string(), reason: z.string() }).strict();

export const importResponse = z
  .object({
    importId: z.string(),
    format: z.enum(archiveFormats),
    prefix: z.string(),
    created: z.array(z.string()),
    updated: z.array(z.string()),
    unchanged: z.array(z.string()),
    conflicts: z.array(pathReason),
    skipped: z.array(pathReason),
    skippedCount: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
  })
  .strict();

export const importRulesResponse = z
  .object({
    limits: z
      .object({
        maxFileBytes: z.number().int().positive(),
        maxTotalBytes: z.number().int().positive(),
        maxFiles: z.number().int().positive(),
        maxArchiveBytes: z.number().int().positive(),
        maxUnpackedBytes: z.number().int().positive(),
        maxEntries: z.number().int().positive(),
      })
      .strict(),
    alwaysSkipped: z.array(z.string()),
    contentTypes: z.record(z.enum(archiveFormats), z.array(z.string())),
  })
  .strict();

export type ImportRulesResponse = z.infer<typeof importRulesResponse>;
