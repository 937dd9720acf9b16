import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import {
  type AppliedChange,
  type CommentView,
  MAX_COMMENTS_PER_THREAD,
  MAX_QUOTE_CHARS,
  MAX_THREADS_PER_ROOM,
  mentionsSpark,
  type ThreadSuggestionView,
  type ThreadView,
  type ThreadWithAnchor,
  withoutSparkMention,
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
import { suggestionsMap } from '../suggestions/review-doc.ts';
import { textSlice } from '../suggestions/suggestion-range.ts';
import {
  anchorOf,
  lineAt,
  readThread,
  removeThread,
  threadSuggestions,
  threadsMap,
  writeThread,
} from './thread-doc.ts';
import { renderThreadForSpark } from './thread-prompt.ts';
import type { ThreadStore } from './thread-store.ts';

export interface ThreadServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: ThreadStore;
  log: Logger;
  now: () => number;
  /** the base version's files, for threads on removed lines (CR-14) */
  baseFiles?: (roomId: string) => Promise<Map<string, string>>;
  /** starts a Spark run for a comment that mentions `@spark` (CR-18); absent: such comments are refused */
  askSpark?: SparkAsker;
}

/**
 * Starts a Spark run asked from a thread and answers its id (the agent's createRun, narrowed, so review/
 * does not depend on agent/). It checks the asker's permission to prompt and the limits, throwing AppError.
 */
export type SparkAsker = (user: AuthUser, request: ThreadRunRequest) => Promise<string>;

export interface ThreadRunRequest {
  threadId: string;
  /** the asking comment without its mention */
  prompt: string;
  /** the thread's file, when the room still has it */
  file?: string;
  /** the thread's range now (a thread on the current text whose code is still there) */
  selection?: { from: number; to: number };
  /** the thread rendered for the model (thread-prompt.ts) */
  context: string;
}

/** A thread as changed by a comment, and the Spark run that comment started. */
export interface CommentOutcome {
  thread: ThreadWithAnchor;
  runId?: string;
}

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

  constructor(deps: ThreadServiceDeps) {
    this.deps = deps;
  }

  /**
   * When the review doc opens (at load, or on first use: PERF-31): accepts are followed, and a thread stored
   * but missing from the review doc (the process stopped between the two writes) is written into it, so the
   * database and the doc agree again.
   */
  attach(room: Room): void {
    room.whenReview(this.attachReview);
  }

  private readonly attachReview = (room: Room): void => {
    this.followAccepts(room);
    this.restore(room).catch((err: unknown) =>
      this.deps.log.error({ err, room: room.id }, 'restoring threads failed'),
    );
  };

  private async restore(room: Room): Promise<void> {
    const stored = await this.deps.store.listThreads(room.id);
    const live = threadsMap(room.review.doc);
    const missing = stored.filter((t) => !live.has(t.id));
    if (missing.length === 0) return;
    room.review.transact((doc) => {
      for (const t of missing) writeThread(doc, t);
    }, origin);
    this.deps.log.info({ room: room.id, threads: missing.length }, 'threads restored into the review doc');
  }

  /**
   * CR-21: an accept rewrites whole lines, so accepting the fix Spark made for a thread would leave the
   * thread on deleted code. When a suggestion that names a thread is accepted and the thread's code is gone,
   * the thread moves onto the text the accept wrote (its quote stays as it was when the thread started).
   */
  private followAccepts(room: Room): void {
    const suggestions = suggestionsMap(room.review.doc);
    suggestions.observeDeep((events) => {
      for (const event of events) {
        if (!(event instanceof Y.YMapEvent) || !event.keysChanged.has('state')) continue;
        const map = event.target as Y.Map<unknown>;
        if (map.parent !== suggestions) continue;
        const threadId = map.get('threadId');
        const applied = map.get('applied') as AppliedChange | null | undefined;
        if (map.get('state') !== 'accepted' || typeof threadId !== 'string' || !applied) continue;
        this.serial(room.id, async (live) => {
          const entry = threadsMap(live.review.doc).get(threadId);
          if (!entry) return;
          const thread = readThread(entry);
          const anchor = thread.side === 'head' ? anchorOf(live.code.doc, thread) : null;
          if (!anchor?.deleted) return;
          await this.commit(live, { ...thread, start: applied.start, end: applied.end });
        }).catch((err: unknown) =>
          this.deps.log.error(
            { err, room: room.id, thread: threadId },
            'moving a thread onto its fix failed',
          ),
        );
      }
    });
  }

  async list(user: AuthUser): Promise<ThreadWithAnchor[]> {
    return this.withRoom(user.roomId, async (room) => {
      const threads = [...threadsMap(room.review.doc).values()]
        .map(readThread)
        .sort((a, b) => a.createdAt - b.createdAt);
      const base = threads.some((t) => t.side === 'base') ? await this.base(room.id) : undefined;
      const proposed = threadSuggestions(room.review.doc);
      return threads.map((t) => withAnchor(room, t, base, proposed.get(t.id)));
    });
  }

  async get(user: AuthUser, threadId: string): Promise<ThreadWithAnchor> {
    return this.withRoom(user.roomId, async (room) => this.anchored(room, this.find(room, threadId)));
  }

  async create(user: AuthUser, body: CreateThreadRequest): Promise<CommentOutcome> {
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
      return this.commitComment(room, user, thread);
    });
  }

  /**
   * CR-18: a comment that mentions `@spark` starts its run before anything is stored, so a refused run
   * (a viewer, a rate limit, no model) refuses the comment too and changes nothing; then the comment is
   * stored naming the run, which already names the thread.
   */
  private async commitComment(room: Room, user: AuthUser, thread: ThreadView): Promise<CommentOutcome> {
    const comment = thread.comments.at(-1);
    let runId: string | undefined;
    let next = thread;
    if (comment && mentionsSpark(comment.text)) {
      runId = await this.askSpark(room, user, thread, comment);
      next = { ...thread, comments: [...thread.comments.slice(0, -1), { ...comment, runId }] };
    }
    await this.commit(room, next);
    const answer: CommentOutcome = { thread: await this.anchored(room, next) };
    return runId ? { ...answer, runId } : answer;
  }

  private async askSpark(room: Room, user: AuthUser, thread: ThreadView, comment: CommentView) {
    const ask = this.deps.askSpark;
    if (!ask) throw new AppError('agent_not_configured', 'Spark cannot be asked from threads on this server');
    const { anchor } = await this.anchored(room, thread);
    const inRoom = fileText(room.code.doc, thread.file) !== undefined;
    const onCode = thread.side === 'head' && anchor !== null && !anchor.deleted;
    try {
      return await ask(user, {
        threadId: thread.id,
        prompt: withoutSparkMention(comment.text) || 'Answer this review thread.',
        ...(inRoom ? { file: thread.file } : {}),
        ...(onCode ? { selection: { from: anchor.from, to: anchor.to } } : {}),
        context: renderThreadForSpark(thread, anchor),
      });
    } catch (err) {
      // CR-20: say what to do about it, since the comment itself would have been allowed.
      if (err instanceof AppError && err.code === 'forbidden')
        throw new AppError(
          'forbidden',
          `${err.message}, so this comment cannot ask Spark: post it without @spark`,
        );
      throw err;
    }
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
    const base = thread.side === 'base' ? await this.base(room.id) : undefined;
    return withAnchor(room, thread, base, threadSuggestions(room.review.doc, thread.id).get(thread.id));
  }

  async reply(user: AuthUser, threadId: string, text: string): Promise<CommentOutcome> {
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
      return this.commitComment(room, user, next);
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
function withAnchor(
  room: Room,
  thread: ThreadView,
  base?: Map<string, string>,
  suggestions: ThreadSuggestionView[] = [],
): ThreadWithAnchor {
  if (thread.side !== 'base') return { ...thread, anchor: anchorOf(room.code.doc, thread), suggestions };
  const text = base?.get(thread.file);
  const from = Number(thread.start);
  const to = Number(thread.end);
  if (text === undefined) return { ...thread, anchor: null, suggestions };
  const holds = text.slice(from, Math.min(to, from + MAX_QUOTE_CHARS)) === thread.quote;
  return { ...thread, anchor: { from, to, line: lineOfText(text, from), deleted: !holds }, suggestions };
}
