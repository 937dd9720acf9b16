import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import type { ArchiveFormat, ImportLimits } from '../../schema/import-rules.ts';
import type { ImportResponse } from '../../schema/protocol.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import type { ArchiveSource } from './archive-entries.ts';
import type { ImportStore } from './import-store.ts';

export interface ImportServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: ImportStore;
  limits: ImportLimits;
  /** the document limit: an import never grows the code doc past it */
  maxDocBytes: number;
  log: Logger;
  now: () => number;
}

export interface ImportRequest {
  /** the archive, spooled to disk */
  file: string;
  format: ArchiveFormat;
  /** '' or a relative folder ending in '/' */
  prefix: string;
  overwrite: boolean;
}

/** Encoded Y.Text costs a little more than its UTF-8 text (item headers); this is the margin we check with. */
const DOC_OVERHEAD = 1.05;

/**
 * Archive import into a room's code doc (IO-1..IO-9): permission, the shared rules (a hostile archive is
 * refused before anything is written), then the files in slices attributed to the importing person, and
 * the answer once it is all durable. Imports into one room run one at a time.
 */
export class ImportService {
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ImportServiceDeps) {}

  get limits(): ImportLimits {
    return this.deps.limits;
  }

  /** Checked before the body is read, so a viewer's upload is refused without spooling it. */
  async authorize(user: AuthUser): Promise<void> {
    const room = await this.deps.rooms.getRoom(user.roomId);
    requirePermission(user, 'write', room.policy);
    await this.deps.rooms.assertMayWriteCode(user);
  }

  async importArchive(user: AuthUser, req: ImportRequest): Promise<ImportResponse> {
    await this.authorize(user);
    const previous = this.running.get(user.roomId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.run(user, req));
    this.running.set(user.roomId, next);
    try {
      return await next;
    } finally {
      if (this.running.get(user.roomId) === next) this.running.delete(user.roomId);
    }
  }

  private async run(user: AuthUser, req: ImportRequest): Promise<ImportResponse> {
    // The archive, diff and merge libraries load on the first import, not at every server start.
    const [{ openZipSource }, { openTarGzSource }, { planImport }, { applyImport }] = await Promise.all([
      import('./zip-source.ts'),
      import('./tar-source.ts'),
      import('./import-plan.ts'),
      import('./import-apply.ts'),
    ]);
    const source: ArchiveSource =
      req.format === 'zip'
        ? await openZipSource(req.file, this.deps.limits)
        : await openTarGzSource(req.file, this.deps.limits);
    let plan: Awaited<ReturnType<typeof planImport>>;
    try {
      plan = await planImport(source, this.deps.limits);
    } finally {
      await source.close();
    }
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    try {
      const projected = room.code.storedSize + Math.ceil(plan.totalBytes * DOC_OVERHEAD);
      if (projected > this.deps.maxDocBytes) {
        throw new AppError(
          'too_large',
          `importing ${plan.totalBytes} bytes of text would grow this room past its document limit of ` +
            `${this.deps.maxDocBytes} bytes`,
        );
      }
      const importId = `imp_${randomBytes(8).toString('base64url')}`;
      const client = this.newClient(room, user.id);
      const at = this.deps.now();
      const outcome = await applyImport(room, plan.files, {
        prefix: req.prefix,
        overwrite: req.overwrite,
        client,
        origin: { source: 'import', importId, userId: user.id },
      });
      if (room.isBroken)
        throw new AppError('storage_failed', 'the room could not be saved during the import');
      if (outcome.created.length + outcome.updated.length > 0) {
        await this.deps.store.addImport({
          docName: room.code.name,
          client,
          id: importId,
          userId: user.id,
          source: req.format,
          files: outcome.created.length + outcome.updated.length,
          bytes: outcome.bytes,
          at,
        });
      }
      // Answer once every slice is stored and broadcast: what the answer lists, everyone has.
      await room.whenFlushed();
      this.deps.log.info(
        {
          room: room.id,
          user: user.id,
          importId,
          created: outcome.created.length,
          updated: outcome.updated.length,
          conflicts: outcome.conflicts.length,
          skipped: plan.skippedCount,
          bytes: outcome.bytes,
        },
        'archive imported',
      );
      return {
        importId,
        format: req.format,
        prefix: req.prefix,
        created: outcome.created,
        updated: outcome.updated,
        unchanged: outcome.unchanged,
        conflicts: outcome.conflicts,
        skipped: plan.skipped,
        skippedCount: plan.skippedCount,
        bytes: outcome.bytes,
      };
    } finally {
      release();
    }
  }

  /** A fresh Yjs clientID for this import, bound to the importing person like their own editor's. */
  private newClient(room: Room, userId: string): number {
    for (;;) {
      const candidate = randomBytes(4).readUInt32LE(0);
      if (candidate === 0 || room.codeBindings.userOf(candidate) !== undefined) continue;
      if (Y.getState(room.code.doc.store, candidate) !== 0) continue;
      room.codeBindings.claim(candidate, userId);
      return candidate;
    }
  }
}
