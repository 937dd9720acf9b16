import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import {
  type CommentView,
  MAX_COMMENTS_PER_THREAD,
  MAX_QUOTE_CHARS,
  MAX_THREADS_PER_ROOM,
  type ThreadView,
  type ThreadWithAnchor,
} from '../../schema/protocol.ts';
import type { CreateThreadRequest } from '../../schema/review-rest.ts';
import { can, requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import { encodeRelativePosition } from '../rooms/relative-positions.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { textSlice } from '../suggestions/suggestion-range.ts';
import { anchorOf, lineAt, readThread, removeThread, threadsMap, writeThread } from './thread-doc.ts';
import type { ThreadStore } from './thread-store.ts';

export interface ThreadServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: ThreadStore;
  log: Logger;
  now: () => number;
  /** the base version's files, for threads on removed lines (CR-14) */
  baseFiles?: (roomId: string) => Promise<Map<string, string>>;
}

/** Told after a comment was added, so a mention of Spark can start a run (CR-11). */
export type CommentListener = (room: Room, user: AuthUser, thread: ThreadView, comment: CommentView) => void;

const origin: TransactionOrigin = { source: 'server', reason: 'thread' };
const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;

/**
 * Threads on code (CR-1..CR-8): started on a range of a file, anchored with Yjs relative positions so they
 * follow every edit, answered, edited, resolved and reopened. Each change is stored first and then written
 * to the review doc, so a change that could not be stored is refused and nobody ever sees it. Changes to
 * one room's threads run one at a time (a reply is a read-modify-write of the thread).
 */
export class ThreadService {
  private readonly deps: ThreadServiceDeps;
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly listeners: CommentListener[] = [];

  constructor(deps: ThreadServiceDeps) {
    this.deps = deps;
  }

  onComment(listener: CommentListener): void {
    this.listeners.push(listener);
  }

  /**
   * Called once per room load: a thread stored but missing from the review doc (the process stopped
   * between the two writes) is written into it, so the database and the doc agree again.
   */
  async attach(room: Room): Promise<void> {
    const stored = await this.deps.store.listThreads(room.id);
    const live = threadsMap(room.review.doc);
    const missing = stored.filter((t) => !live.has(t.id));
    if (missing.length === 0) return;
    room.review.transact((doc) => {
      for (const t of missing) writeThread(doc, t);
    }, origin);
    this.deps.log.info({ room: room.id, threads: missing.length }, 'threads restored into the review doc');
  }

  async list(user: AuthUser): Promise<ThreadWithAnchor[]> {
    return this.withRoom(user.roomId, async (room) => {
      const threads = [...threadsMap(room.review.doc).values()]
        .map(readThread)
        .sort((a, b) => a.createdAt - b.createdAt);
      const base = threads.some((t) => t.side === 'base') ? await this.base(room.id) : undefined;
      return threads.map((t) => withAnchor(room, t, base));
    });
  }

  async get(user: AuthUser, threadId: string): Promise<ThreadWithAnchor> {
    return this.withRoom(user.roomId, async (room) => this.anchored(room, this.find(room, threadId)));
  }

  async create(user: AuthUser, body: CreateThreadRequest): Promise<ThreadWithAnchor> {
    await this.require(user);
    return this.serial(user.roomId, async (room) => {
      if (threadsMap(room.review.doc).size >= MAX_THREADS_PER_ROOM) {
        throw new AppError('too_large', `this room holds its maximum of ${MAX_THREADS_PER_ROOM} threads`);
      }
      const now = this.deps.now();
      const place = body.side === 'base' ? await this.placeInBase(room, body) : placeInHead(room, body);
      const thread: ThreadView = {
        id: newId('t'),
        file: body.file,
        side: body.side ?? 'head',
        ...place,
        length: body.to - body.from,
        createdBy: user.id,
        createdByName: user.name,
        createdAt: now,
        resolved: false,
        resolvedBy: null,
        resolvedAt: null,
        comments: [newComment(user, body.text, now)],
      };
      await this.commit(room, thread);
      this.tell(room, user, thread);
      return this.anchored(room, thread);
    });
  }

  /** CR-14: a thread on lines of the base version (removed lines): offsets into the base text. */
  private async placeInBase(room: Room, body: CreateThreadRequest) {
    const text = (await this.base(room.id)).get(body.file);
    if (text === undefined) throw new AppError('not_found', `no file ${body.file} in the base version`);
    if (body.to > text.length) {
      throw new AppError(
        'bad_request',
        `range ${body.from}..${body.to} is past the end of ${body.file} in the base (${text.length} characters)`,
      );
    }
    return {
      start: String(body.from),
      end: String(body.to),
      quote: text.slice(body.from, Math.min(body.to, body.from + MAX_QUOTE_CHARS)),
      line: lineOfText(text, body.from),
    };
  }

  private async base(roomId: string): Promise<Map<string, string>> {
    return (await this.deps.baseFiles?.(roomId)) ?? new Map();
  }

  private async anchored(room: Room, thread: ThreadView): Promise<ThreadWithAnchor> {
    return withAnchor(room, thread, thread.side === 'base' ? await this.base(room.id) : undefined);
  }

  async reply(user: AuthUser, threadId: string, text: string): Promise<ThreadWithAnchor> {
    await this.require(user);
    return this.serial(user.roomId, async (room) => {
      const thread = this.find(room, threadId);
      if (thread.comments.length >= MAX_COMMENTS_PER_THREAD) {
        throw new AppError(
          'too_large',
          `this thread holds its maximum of ${MAX_COMMENTS_PER_THREAD} comments: start a new one`,
        );
      }
      const next = { ...thread, comments: [...thread.comments, newComment(user, text, this.deps.now())] };
      await this.commit(room, next);
      this.tell(room, user, next);
      return this.anchored(room, next);
    });
  }

  async editComment(
    user: AuthUser,
    threadId: string,
    commentId: string,
    text: string,
  ): Promise<ThreadWithAnchor> {
    await this.require(user);
    return this.serial(user.roomId, async (room) => {
      const thread = this.find(room, threadId);
      const comment = findComment(thread, commentId);
      if (comment.by !== user.id) throw new AppError('forbidden', 'you may edit only your own comments');
      const edited: CommentView = { ...comment, text, editedAt: this.deps.now() };
      const next = { ...thread, comments: thread.comments.map((c) => (c.id === commentId ? edited : c)) };
      await this.commit(room, next);
      return this.anchored(room, next);
    });
  }

  /** Deletes a comment (one's own; owners may delete any). The last comment takes the thread with it. */
  async deleteComment(
    user: AuthUser,
    threadId: string,
    commentId: string,
  ): Promise<{ thread: ThreadWithAnchor | null }> {
    const policy = await this.require(user);
    return this.serial(user.roomId, async (room) => {
      const thread = this.find(room, threadId);
      const comment = findComment(thread, commentId);
      if (comment.by !== user.id && !can(user, 'manage', policy)) {
        throw new AppError('forbidden', 'you may delete only your own comments');
      }
      const comments = thread.comments.filter((c) => c.id !== commentId);
      if (comments.length === 0) {
        await this.deps.store.deleteThread(room.id, threadId);
        room.review.transact((doc) => removeThread(doc, threadId), origin);
        await room.whenFlushed();
        return { thread: null };
      }
      const next = { ...thread, comments };
      await this.commit(room, next);
      return { thread: await this.anchored(room, next) };
    });
  }

  async setResolved(user: AuthUser, threadId: string, resolved: boolean): Promise<ThreadWithAnchor> {
    await this.require(user);
    return this.serial(user.roomId, async (room) => {
      const thread = this.find(room, threadId);
      if (thread.resolved === resolved) return this.anchored(room, thread);
      const next: ThreadView = resolved
        ? { ...thread, resolved, resolvedBy: user.id, resolvedAt: this.deps.now() }
        : { ...thread, resolved, resolvedBy: null, resolvedAt: null };
      await this.commit(room, next);
      return this.anchored(room, next);
    });
  }

  /** The stored threads of a room (summaries; no room load needed). */
  stored(roomId: string): Promise<ThreadView[]> {
    return this.deps.store.listThreads(roomId);
  }

  private find(room: Room, threadId: string): ThreadView {
    const map = threadsMap(room.review.doc).get(threadId);
    if (!map) throw new AppError('not_found', `no thread ${threadId} in this room`);
    return readThread(map);
  }

  /** Stored, then written to the review doc and flushed: the caller's next read sees it. */
  private async commit(room: Room, thread: ThreadView): Promise<void> {
    await this.deps.store.saveThread(room.id, thread);
    room.review.transact((doc) => writeThread(doc, thread), origin);
    await room.whenFlushed();
  }

  private tell(room: Room, user: AuthUser, thread: ThreadView): void {
    const comment = thread.comments.at(-1);
    if (!comment) return;
    for (const listener of this.listeners) {
      try {
        listener(room, user, thread, comment);
      } catch (err) {
        this.deps.log.error({ err, room: room.id, thread: thread.id }, 'a comment listener failed');
      }
    }
  }

  private async require(user: AuthUser) {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, 'comment', policy);
    return policy;
  }

  /** One change of a room's threads at a time, with the room held loaded. */
  private serial<T>(roomId: string, fn: (room: Room) => Promise<T>): Promise<T> {
    const previous = this.queues.get(roomId) ?? Promise.resolve();
    const run = previous.then(
      () => this.withRoom(roomId, fn),
      () => this.withRoom(roomId, fn),
    );
    const tail = run.catch(() => undefined);
    this.queues.set(roomId, tail);
    void tail.then(() => {
      if (this.queues.get(roomId) === tail) this.queues.delete(roomId);
    });
    return run;
  }

  private async withRoom<T>(roomId: string, fn: (room: Room) => Promise<T>): Promise<T> {
    const { room, release } = await this.deps.registry.acquire(roomId);
    try {
      return await fn(room);
    } finally {
      release();
    }
  }
}

function newComment(user: AuthUser, text: string, at: number): CommentView {
  return { id: newId('c'), by: user.id, byName: user.name, text, at, editedAt: null };
}

function findComment(thread: ThreadView, commentId: string): CommentView {
  const comment = thread.comments.find((c) => c.id === commentId);
  if (!comment) throw new AppError('not_found', `no comment ${commentId} in this thread`);
  return comment;
}

function placeInHead(room: Room, body: CreateThreadRequest) {
  const ytext = fileText(room.code.doc, body.file);
  if (!ytext) throw new AppError('not_found', `no file ${body.file} in this room`);
  if (body.to > ytext.length) {
    throw new AppError(
      'bad_request',
      `range ${body.from}..${body.to} is past the end of ${body.file} (${ytext.length} characters)`,
    );
  }
  return {
    start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, body.from, 0)),
    end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, body.to, -1)),
    quote: textSlice(ytext, body.from, Math.min(body.to, body.from + MAX_QUOTE_CHARS)),
    line: lineAt(ytext, body.from),
  };
}

function lineOfText(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Where the thread sits now. A thread on the base sits where it was while the base holds the same text
 * there; a new base without it leaves the thread `deleted`, with its quote.
 */
function withAnchor(room: Room, thread: ThreadView, base?: Map<string, string>): ThreadWithAnchor {
  if (thread.side !== 'base') return { ...thread, anchor: anchorOf(room.code.doc, thread) };
  const text = base?.get(thread.file);
  const from = Number(thread.start);
  const to = Number(thread.end);
  if (text === undefined) return { ...thread, anchor: null };
  const holds = text.slice(from, Math.min(to, from + MAX_QUOTE_CHARS)) === thread.quote;
  return { ...thread, anchor: { from, to, line: lineOfText(text, from), deleted: !holds } };
}
