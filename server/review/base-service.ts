import { randomBytes } from 'node:crypto';
import type { ArchiveFormat, ImportLimits } from '../../schema/import-rules.ts';
import { fileChanges } from '../../schema/line-diff.ts';
import type { BaseInfo, BaseResponse } from '../../schema/protocol.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import type { Logger } from '../log.ts';
import type { ArchiveSource } from '../project/archive-entries.ts';
import { fileTexts } from '../rooms/code-doc-shape.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { roomMap } from '../suggestions/review-doc.ts';
import type { BaseStore } from './base-store.ts';
import type { BaseSummary } from './review-service.ts';

export interface BaseServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: BaseStore;
  /** the archive rules of imports (IO-2..IO-5): a base is read exactly as an import would read it */
  limits: ImportLimits;
  log: Logger;
  now: () => number;
}

/**
 * A room's base version (CR-12): an archive read by the import rules (a hostile archive is refused before
 * anything is stored), stored whole, and announced in the review doc (`room.base`) so every open page
 * fetches it and shows the change from it.
 */
export class BaseService {
  private readonly deps: BaseServiceDeps;

  constructor(deps: BaseServiceDeps) {
    this.deps = deps;
  }

  get limits(): ImportLimits {
    return this.deps.limits;
  }

  /** Checked before the body is read: only people who may write may set what the change is against. */
  async authorize(user: AuthUser): Promise<void> {
    const room = await this.deps.rooms.getRoom(user.roomId);
    requirePermission(user, 'write', room.policy);
  }

  async setBase(
    user: AuthUser,
    req: { file: string; format: ArchiveFormat; ref: string | null },
  ): Promise<BaseInfo> {
    await this.authorize(user);
    const [{ openZipSource }, { openTarGzSource }, { planImport }] = await Promise.all([
      import('../project/zip-source.ts'),
      import('../project/tar-source.ts'),
      import('../project/import-plan.ts'),
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
    const info: BaseInfo = {
      id: `base_${randomBytes(8).toString('base64url')}`,
      ref: req.ref,
      setBy: user.id,
      setByName: user.name,
      setAt: this.deps.now(),
      files: plan.files.length,
      bytes: plan.totalBytes,
    };
    // Loaded first: on several nodes a room's writes are its owner's, fenced by its number (CLUSTER-50).
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    try {
      await this.deps.store.setBase(
        user.roomId,
        info,
        plan.files.map((f) => ({ path: f.path, text: f.text })),
      );
      this.publish(room, info);
      await room.whenFlushed();
    } finally {
      release();
    }
    this.deps.log.info({ room: user.roomId, files: info.files, ref: info.ref }, 'base version set');
    return info;
  }

  async getBase(user: AuthUser): Promise<BaseResponse> {
    await this.deps.rooms.getRoom(user.roomId);
    const base = await this.deps.store.getBaseInfo(user.roomId);
    return { base, files: base ? await this.deps.store.getBaseFiles(user.roomId) : [] };
  }

  /** The base text of one file, or null when the room has no base or the base has no such file. */
  async baseText(roomId: string, file: string): Promise<string | null> {
    const files = await this.deps.store.getBaseFiles(roomId);
    return files.find((f) => f.path === file)?.text ?? null;
  }

  async baseFiles(roomId: string): Promise<Map<string, string>> {
    return new Map((await this.deps.store.getBaseFiles(roomId)).map((f) => [f.path, f.text]));
  }

  /** The room's change against its base (CR-13), for the summary. */
  async summaryOf(room: Room): Promise<BaseSummary | null> {
    const info = await this.deps.store.getBaseInfo(room.id);
    if (!info) return null;
    const base = await this.baseFiles(room.id);
    const head = new Map(fileTexts(room.code.doc).map(([p, t]) => [p, t.toString()]));
    return {
      base: { ref: info.ref, setAt: info.setAt, setByName: info.setByName },
      changes: fileChanges(base, head),
    };
  }

  /** Called once per room load: the stored base is announced in the review doc if it is not already. */
  async attach(room: Room): Promise<void> {
    const info = await this.deps.store.getBaseInfo(room.id);
    if (info) this.publish(room, info);
  }

  private publish(room: Room, info: BaseInfo): void {
    const map = roomMap(room.review.doc);
    if (JSON.stringify(map.get('base')) === JSON.stringify(info)) return;
    room.review.transact(() => map.set('base', info), { source: 'server', reason: 'base version set' });
  }
}
