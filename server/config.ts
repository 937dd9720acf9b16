import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { defaultImportLimits, type ImportLimits } from '../schema/import-rules.ts';
import { UPDATE_PART_BYTES } from '../schema/protocol.ts';
import { ensureDataDir } from './data-dir.ts';

/** Limits enforced by the server; every one is configurable (docs/design.md section 6). */
export interface Limits {
  /**
   * largest WebSocket frame accepted, bytes (larger frames close the socket with 1009). 2 MB keeps one
   * frame's cost on the event loop inside issue 9's 50 ms (SAFE-166); our clients send bigger changes in
   * parts (SAFE-165), so at least twice UPDATE_PART_BYTES
   */
  maxFrameBytes: number;
  /** largest encoded document state, bytes; an update that would grow a doc past it is refused */
  maxDocBytes: number;
  /** most Yjs structs (items) one document may hold; an update that would pass it is refused (ROOM-15) */
  maxDocItems: number;
  /** bytes queued on one socket before the reader counts as slow and is disconnected */
  maxSendBufferBytes: number;
  /** awareness updates per socket per second before the socket is closed */
  maxAwarenessPerSecond: number;
  /** sync step 1 requests per socket per second (each costs a full-document diff) before it is closed */
  maxSyncRequestsPerSecond: number;
  /** rooms loading from storage at once; further joins wait their turn */
  maxConcurrentLoads: number;
  /** prompts one person may send per minute */
  promptsPerMinute: number;
  /** prompts one room may send per minute, whoever sends them (re-joining mints people, not prompts) */
  roomPromptsPerMinute: number;
  /** rooms the server holds at most (deleted rooms do not count) */
  maxRooms: number;
  /** rooms one client address may create per hour (creation with the admin token is not counted) */
  roomsPerAddressPerHour: number;
  /** joins (each mints a person) one client address may make per hour */
  joinsPerAddressPerHour: number;
  /** agent runs streaming at once across the server */
  maxConcurrentRuns: number;
  /** update-log bytes since the last snapshot that trigger a compaction */
  compactAfterBytes: number;
  /** lifetime of a personal token, seconds */
  tokenTtlSeconds: number;
  /**
   * a socket that was sent nothing for this long gets an empty awareness frame: the stock y-websocket
   * client drops a connection that hears nothing for 30 s (SAFE-55)
   */
  keepaliveMs: number;
  /** new Yjs clientIDs one socket may introduce (a browser tab uses one per document) (ROOM-13) */
  maxClientIdsPerSocket: number;
  /** new Yjs clientIDs one person may introduce per document per hour, over all their sockets (ROOM-13) */
  newClientIdsPerHour: number;
  /** largest awareness state of one clientID, bytes of JSON (SAFE-31) */
  maxAwarenessStateBytes: number;
  /** updates one socket may have waiting for dependencies it has not sent (ROOM-14, SAFE-30) */
  maxHeldUpdatesPerSocket: number;
  /** how long such an update may wait, ms (ROOM-14, SAFE-30) */
  maxHeldMs: number;
  /** redirects (steers) one person may send per minute (SAFE-56) */
  steersPerMinute: number;
  /** redirects one run may take in all (SAFE-56) */
  maxSteersPerRun: number;
  /**
   * WebSocket frames at least this large are sent compressed (permessage-deflate) to clients that offer
   * it: a joiner's full state compresses about 4x, keystroke frames stay uncompressed; 0 turns it off
   */
  compressAboveBytes: number;
  /** people's edits are recorded in history at most this often, ms (REVIEW-7) */
  historyEditIntervalMs: number;
  /** ROOM-27: how long a settled run stays in the live review doc before it is read from storage only, ms */
  retireRunsAfterMs: number;
}

export const defaultLimits: Limits = {
  maxFrameBytes: 2 * 1024 * 1024,
  maxDocBytes: 32 * 1024 * 1024,
  maxDocItems: 250_000,
  maxSendBufferBytes: 16 * 1024 * 1024,
  maxAwarenessPerSecond: 60,
  maxSyncRequestsPerSecond: 10,
  maxConcurrentLoads: 8,
  promptsPerMinute: 10,
  roomPromptsPerMinute: 30,
  maxRooms: 10_000,
  roomsPerAddressPerHour: 20,
  joinsPerAddressPerHour: 120,
  maxConcurrentRuns: 8,
  compactAfterBytes: 1024 * 1024,
  tokenTtlSeconds: 7 * 24 * 3600,
  keepaliveMs: 10_000,
  steersPerMinute: 20,
  maxSteersPerRun: 50,
  compressAboveBytes: 16 * 1024,
  historyEditIntervalMs: 180_000,
  retireRunsAfterMs: 60_000,
  maxClientIdsPerSocket: 8,
  newClientIdsPerHour: 200,
  maxAwarenessStateBytes: 8 * 1024,
  maxHeldUpdatesPerSocket: 100,
  maxHeldMs: 30_000,
};

export type SparkApi = 'responses' | 'responses-ws' | 'chat';

export interface AgentConfig {
  api: SparkApi;
  baseURL: string | null;
  apiKey: string | null;
  model: string;
  maxOutputTokens: number;
  /** a turn whose stream sends nothing for this long fails ("stalled") and frees its run slot */
  idleTimeoutMs: number;
  /** a run's model output, all turns together, in bytes (UTF-8); past it the run ends failed (SAFE-57) */
  maxRunOutputBytes: number;
  /** a run's output tokens, all turns together; past it the run ends failed (SAFE-57) */
  maxRunTokens: number;
  /** a run's wall time from its first turn, ms; past it the run ends failed (SAFE-57) */
  maxRunMs: number;
  /** hunks a run may propose, all turns together; past it the rest are refused with a reason (SAFE-51) */
  maxRunHunks: number;
  /** ms between a streaming run's review-doc frames (AGENT-5, PERF-3): each frame is one commit and one broadcast */
  frameMs?: number;
  /** streamed text is written every this many frames (PERF-45); 1 writes it in every frame */
  textFrameTicks?: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  secret: string;
  adminToken: string | null;
  /**
   * origins (scheme://host[:port]) whose pages may open sockets besides the server's own, for a reverse
   * proxy that rewrites Host; a socket from any other page is refused (WEB-22)
   */
  allowedOrigins: string[];
  /** take the client address from the last X-Forwarded-For entry (behind one reverse proxy) */
  trustProxy: boolean;
  /**
   * the address people reach the server at (`https://code.example.org`), used in invite links and the
   * printed address (OPS-5); null: the address the browser used, and the listening address
   */
  publicUrl: string | null;
  logLevel: string;
  /** `auto`: pretty on a terminal, JSON otherwise (OPS-7) */
  logFormat: 'auto' | 'pretty' | 'json';
  /** postgres://... : store everything in PostgreSQL instead of the SQLite file (CLUSTER-1) */
  databaseUrl: string | null;
  /** the PostgreSQL schema of Sparkroom's tables */
  databaseSchema: string;
  /**
   * several nodes (CLUSTER-6): room ownership through Redis; null runs one process exactly as without it
   */
  cluster: {
    redisUrl: string;
    redisPrefix: string;
    nodeId: string | null;
    nodeUrl: string | null;
    leaseMs: number;
    /** SPARKROOM_LEASE_MARGIN_MS (null: a tenth of the lease, at least 100 ms) */
    leaseMarginMs: number | null;
    /** SPARKROOM_REDIS_COMMAND_TIMEOUT_MS (default a fifth of the lease, at least 100 ms) */
    redisCommandTimeoutMs: number;
  } | null;
  limits: Limits;
  /** caps of one archive or folder import (IO-3) */
  imports: ImportLimits;
  agent: AgentConfig;
}

/** SPARKROOM_LEASE_MS as used: at least 500 ms. */
const clusterLeaseMs = (ms: number) => Math.max(500, ms);
const intFrom = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const flag = z
  .enum(['1', 'true', 'yes', '0', 'false', 'no', ''])
  .default('')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const originList = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const origins: string[] = [];
    for (const item of v
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean)) {
      let origin: string | null = null;
      try {
        const url = new URL(item);
        if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === item.replace(/\/$/, ''))
          origin = url.origin;
      } catch {
        origin = null;
      }
      if (origin === null) {
        ctx.addIssue({ code: 'custom', message: `${item} is not an origin like https://code.example.org` });
        return z.NEVER;
      }
      origins.push(origin);
    }
    return origins;
  });

/**
 * An http(s) URL with its scheme (OPS-4). `new URL('localhost:11434')` parses, as scheme `localhost:`, so
 * zod's url() lets it through and every run later fails with "unknown scheme": check the scheme here.
 */
const httpUrl = (name: string, example: string) =>
  z.string().transform((v, ctx) => {
    const value = v.trim();
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be a URL starting with http:// or https://, like ${example} (got "${value.slice(0, 200)}")`,
      });
      return z.NEVER;
    }
    return url;
  });

const publicUrl = httpUrl('SPARKROOM_PUBLIC_URL', 'https://code.example.org').transform((url, ctx) => {
  // The web app and the API live at the root of their origin: a path here could not be honoured.
  if (url.pathname !== '/' || url.search || url.hash) {
    ctx.addIssue({
      code: 'custom',
      message: `SPARKROOM_PUBLIC_URL must be an origin without a path, like https://code.example.org (got "${url.href}")`,
    });
    return z.NEVER;
  }
  return url.origin;
});

const envSchema = z.object({
  PORT: intFrom(8787).pipe(z.number().max(65535)),
  HOST: z.string().min(1).default('127.0.0.1'),
  SPARKROOM_DATA: z.string().min(1).default('./data'),
  SPARKROOM_SECRET: z.string().min(16, 'SPARKROOM_SECRET must be at least 16 characters').optional(),
  SPARKROOM_ADMIN_TOKEN: z.string().min(1).optional(),
  SPARKROOM_ALLOWED_ORIGINS: originList,
  SPARKROOM_TRUST_PROXY: flag,
  SPARKROOM_PUBLIC_URL: publicUrl.optional(),
  SPARKROOM_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'SPARKROOM_DATABASE_URL must be a postgres:// URL')
    .optional(),
  SPARKROOM_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'SPARKROOM_REDIS_URL must be a redis:// URL')
    .optional(),
  SPARKROOM_REDIS_PREFIX: z.string().min(1).max(100).default('sparkroom:'),
  SPARKROOM_NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'SPARKROOM_NODE_ID must be letters, digits, . _ or -')
    .optional(),
  SPARKROOM_NODE_URL: z.url().optional(),
  SPARKROOM_LEASE_MS: intFrom(5000),
  SPARKROOM_LEASE_MARGIN_MS: z.coerce.number().int().positive().optional(),
  SPARKROOM_REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  SPARKROOM_DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'SPARKROOM_DATABASE_SCHEMA must be a lower-case SQL name')
    .default('public'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  SPARKROOM_MAX_FRAME_BYTES: intFrom(defaultLimits.maxFrameBytes),
  SPARKROOM_MAX_DOC_BYTES: intFrom(defaultLimits.maxDocBytes),
  SPARKROOM_MAX_DOC_ITEMS: intFrom(defaultLimits.maxDocItems),
  SPARKROOM_MAX_SEND_BUFFER_BYTES: intFrom(defaultLimits.maxSendBufferBytes),
  SPARKROOM_MAX_AWARENESS_PER_SECOND: intFrom(defaultLimits.maxAwarenessPerSecond),
  SPARKROOM_MAX_SYNC_REQUESTS_PER_SECOND: intFrom(defaultLimits.maxSyncRequestsPerSecond),
  SPARKROOM_MAX_CONCURRENT_LOADS: intFrom(defaultLimits.maxConcurrentLoads),
  SPARKROOM_PROMPTS_PER_MINUTE: intFrom(defaultLimits.promptsPerMinute),
  SPARKROOM_ROOM_PROMPTS_PER_MINUTE: intFrom(defaultLimits.roomPromptsPerMinute),
  SPARKROOM_MAX_ROOMS: intFrom(defaultLimits.maxRooms),
  SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR: intFrom(defaultLimits.roomsPerAddressPerHour),
  SPARKROOM_JOINS_PER_ADDRESS_PER_HOUR: intFrom(defaultLimits.joinsPerAddressPerHour),
  SPARKROOM_MAX_CONCURRENT_RUNS: intFrom(defaultLimits.maxConcurrentRuns),
  SPARKROOM_COMPACT_AFTER_BYTES: intFrom(defaultLimits.compactAfterBytes),
  SPARKROOM_TOKEN_TTL_SECONDS: intFrom(defaultLimits.tokenTtlSeconds),
  SPARKROOM_KEEPALIVE_MS: intFrom(defaultLimits.keepaliveMs),
  SPARKROOM_HISTORY_EDIT_INTERVAL_MS: intFrom(defaultLimits.historyEditIntervalMs),
  SPARKROOM_RETIRE_RUNS_AFTER_MS: intFrom(defaultLimits.retireRunsAfterMs),
  SPARKROOM_IMPORT_MAX_FILE_BYTES: intFrom(defaultImportLimits.maxFileBytes),
  SPARKROOM_IMPORT_MAX_BYTES: intFrom(defaultImportLimits.maxTotalBytes),
  SPARKROOM_IMPORT_MAX_FILES: intFrom(defaultImportLimits.maxFiles),
  SPARKROOM_IMPORT_MAX_ARCHIVE_BYTES: intFrom(defaultImportLimits.maxArchiveBytes),
  SPARKROOM_IMPORT_MAX_UNPACKED_BYTES: intFrom(defaultImportLimits.maxUnpackedBytes),
  SPARKROOM_IMPORT_MAX_ENTRIES: intFrom(defaultImportLimits.maxEntries),
  SPARK_API: z.enum(['responses', 'responses-ws', 'chat']).default('responses'),
  SPARK_BASE_URL: httpUrl('SPARK_BASE_URL', 'http://localhost:11434/v1')
    .transform((url) => url.href.replace(/\/$/, ''))
    .optional(),
  SPARK_API_KEY: z.string().min(1).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  SPARK_MODEL: z.string().min(1).default('gpt-5.3-codex-spark'),
  SPARK_MAX_OUTPUT_TOKENS: intFrom(4096),
  SPARK_IDLE_TIMEOUT_MS: intFrom(60_000),
  SPARK_MAX_RUN_OUTPUT_BYTES: intFrom(512 * 1024),
  SPARK_MAX_RUN_TOKENS: intFrom(16_384),
  SPARK_MAX_RUN_SECONDS: intFrom(600),
  SPARK_MAX_RUN_HUNKS: intFrom(200),
  SPARK_FRAME_MS: intFrom(16),
  SPARK_TEXT_FRAME_TICKS: intFrom(1),
  SPARKROOM_STEERS_PER_MINUTE: intFrom(defaultLimits.steersPerMinute),
  SPARKROOM_MAX_STEERS_PER_RUN: intFrom(defaultLimits.maxSteersPerRun),
  SPARKROOM_COMPRESS_ABOVE_BYTES: intFrom(defaultLimits.compressAboveBytes),
  SPARKROOM_MAX_CLIENT_IDS_PER_SOCKET: intFrom(defaultLimits.maxClientIdsPerSocket),
  SPARKROOM_NEW_CLIENT_IDS_PER_HOUR: intFrom(defaultLimits.newClientIdsPerHour),
  SPARKROOM_MAX_AWARENESS_STATE_BYTES: intFrom(defaultLimits.maxAwarenessStateBytes),
  SPARKROOM_MAX_HELD_UPDATES: intFrom(defaultLimits.maxHeldUpdatesPerSocket),
  SPARKROOM_MAX_HELD_SECONDS: intFrom(defaultLimits.maxHeldMs / 1000),
});

/**
 * Reads the whole configuration from an environment map. This is the only place that looks at
 * `process.env` (main.ts passes it in); everything else receives a Config.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  /** where the signing key comes from when SPARKROOM_SECRET is unset: the data directory's key file */
  secretIn: (dataDir: string) => string = loadOrCreateSecret,
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    // One line (OPS-1): each problem names its variable; messages that already do are not prefixed twice.
    const problems = parsed.error.issues.map((i) => {
      const name = i.path.join('.');
      return i.message.startsWith(name) ? i.message : `${name}: ${i.message}`;
    });
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.SPARKROOM_REDIS_URL && !e.SPARKROOM_DATABASE_URL) {
    throw new Error(
      'invalid configuration:\n  SPARKROOM_REDIS_URL: several nodes share their rooms through PostgreSQL; set SPARKROOM_DATABASE_URL too',
    );
  }
  if (
    e.SPARKROOM_LEASE_MARGIN_MS !== undefined &&
    e.SPARKROOM_LEASE_MARGIN_MS * 2 > clusterLeaseMs(e.SPARKROOM_LEASE_MS)
  ) {
    throw new Error(
      'invalid configuration: SPARKROOM_LEASE_MARGIN_MS: at most half of SPARKROOM_LEASE_MS (a node renews every third of the lease)',
    );
  }
  const dataDir = resolve(e.SPARKROOM_DATA);
  const apiKey = e.SPARK_API_KEY ?? e.OPENAI_API_KEY ?? null;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    secret: e.SPARKROOM_SECRET ?? secretIn(dataDir),
    adminToken: e.SPARKROOM_ADMIN_TOKEN ?? null,
    allowedOrigins: e.SPARKROOM_ALLOWED_ORIGINS,
    trustProxy: e.SPARKROOM_TRUST_PROXY,
    publicUrl: e.SPARKROOM_PUBLIC_URL ?? null,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    databaseUrl: e.SPARKROOM_DATABASE_URL ?? null,
    databaseSchema: e.SPARKROOM_DATABASE_SCHEMA,
    cluster: e.SPARKROOM_REDIS_URL
      ? {
          redisUrl: e.SPARKROOM_REDIS_URL,
          redisPrefix: e.SPARKROOM_REDIS_PREFIX,
          nodeId: e.SPARKROOM_NODE_ID ?? null,
          nodeUrl: e.SPARKROOM_NODE_URL?.replace(/\/$/, '') ?? null,
          leaseMs: clusterLeaseMs(e.SPARKROOM_LEASE_MS),
          leaseMarginMs: e.SPARKROOM_LEASE_MARGIN_MS ?? null,
          redisCommandTimeoutMs:
            e.SPARKROOM_REDIS_COMMAND_TIMEOUT_MS ??
            Math.max(100, Math.floor(clusterLeaseMs(e.SPARKROOM_LEASE_MS) / 5)),
        }
      : null,
    limits: {
      // Our clients send updates in parts of UPDATE_PART_BYTES (SAFE-165): a lower limit would refuse them.
      maxFrameBytes: Math.max(2 * UPDATE_PART_BYTES, e.SPARKROOM_MAX_FRAME_BYTES),
      maxDocBytes: e.SPARKROOM_MAX_DOC_BYTES,
      maxDocItems: Math.max(1000, e.SPARKROOM_MAX_DOC_ITEMS),
      maxSendBufferBytes: e.SPARKROOM_MAX_SEND_BUFFER_BYTES,
      maxAwarenessPerSecond: e.SPARKROOM_MAX_AWARENESS_PER_SECOND,
      maxSyncRequestsPerSecond: Math.max(1, e.SPARKROOM_MAX_SYNC_REQUESTS_PER_SECOND),
      maxConcurrentLoads: Math.max(1, e.SPARKROOM_MAX_CONCURRENT_LOADS),
      promptsPerMinute: e.SPARKROOM_PROMPTS_PER_MINUTE,
      roomPromptsPerMinute: e.SPARKROOM_ROOM_PROMPTS_PER_MINUTE,
      maxRooms: e.SPARKROOM_MAX_ROOMS,
      roomsPerAddressPerHour: e.SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR,
      joinsPerAddressPerHour: e.SPARKROOM_JOINS_PER_ADDRESS_PER_HOUR,
      maxConcurrentRuns: Math.max(1, e.SPARKROOM_MAX_CONCURRENT_RUNS),
      compactAfterBytes: e.SPARKROOM_COMPACT_AFTER_BYTES,
      tokenTtlSeconds: Math.max(60, e.SPARKROOM_TOKEN_TTL_SECONDS),
      // Under 30 s with margin for the timer's granularity: the stock client gives up after 30 s of silence.
      keepaliveMs: Math.min(20_000, Math.max(1000, e.SPARKROOM_KEEPALIVE_MS)),
      historyEditIntervalMs: Math.max(1000, e.SPARKROOM_HISTORY_EDIT_INTERVAL_MS),
      retireRunsAfterMs: e.SPARKROOM_RETIRE_RUNS_AFTER_MS,
      steersPerMinute: e.SPARKROOM_STEERS_PER_MINUTE,
      maxSteersPerRun: e.SPARKROOM_MAX_STEERS_PER_RUN,
      compressAboveBytes: e.SPARKROOM_COMPRESS_ABOVE_BYTES,
      // A tab needs one clientID per document, and Yjs picks a new one when it sees its own in use.
      maxClientIdsPerSocket: Math.max(2, e.SPARKROOM_MAX_CLIENT_IDS_PER_SOCKET),
      newClientIdsPerHour: Math.max(2, e.SPARKROOM_NEW_CLIENT_IDS_PER_HOUR),
      // A cursor with a selection and a name is well under 1 KB.
      maxAwarenessStateBytes: Math.max(1024, e.SPARKROOM_MAX_AWARENESS_STATE_BYTES),
      // A stock client holds back nothing longer than one round trip after a reconnect.
      maxHeldUpdatesPerSocket: Math.max(1, e.SPARKROOM_MAX_HELD_UPDATES),
      maxHeldMs: Math.max(1000, e.SPARKROOM_MAX_HELD_SECONDS * 1000),
    },
    imports: {
      maxFileBytes: Math.max(1, e.SPARKROOM_IMPORT_MAX_FILE_BYTES),
      // An import never holds more text than the document limit could store.
      maxTotalBytes: Math.max(1, Math.min(e.SPARKROOM_IMPORT_MAX_BYTES, e.SPARKROOM_MAX_DOC_BYTES)),
      maxFiles: Math.max(1, e.SPARKROOM_IMPORT_MAX_FILES),
      maxArchiveBytes: Math.max(1, e.SPARKROOM_IMPORT_MAX_ARCHIVE_BYTES),
      maxUnpackedBytes: Math.max(1, e.SPARKROOM_IMPORT_MAX_UNPACKED_BYTES),
      maxEntries: Math.max(1, e.SPARKROOM_IMPORT_MAX_ENTRIES),
    },
    agent: {
      api: e.SPARK_API,
      // A local OpenAI-compatible server (llama.cpp, Ollama) needs no key; the hosted API needs one.
      baseURL: e.SPARK_BASE_URL ?? (apiKey ? 'https://api.openai.com/v1' : null),
      apiKey,
      model: e.SPARK_MODEL,
      maxOutputTokens: Math.max(1, e.SPARK_MAX_OUTPUT_TOKENS),
      idleTimeoutMs: Math.max(1000, e.SPARK_IDLE_TIMEOUT_MS),
      maxRunOutputBytes: Math.max(1024, e.SPARK_MAX_RUN_OUTPUT_BYTES),
      maxRunTokens: Math.max(1, e.SPARK_MAX_RUN_TOKENS),
      maxRunMs: Math.max(1000, e.SPARK_MAX_RUN_SECONDS * 1000),
      maxRunHunks: Math.max(1, e.SPARK_MAX_RUN_HUNKS),
      frameMs: Math.min(100, Math.max(8, e.SPARK_FRAME_MS)),
      textFrameTicks: Math.min(6, Math.max(1, e.SPARK_TEXT_FRAME_TICKS)),
    },
  };
}

/**
 * The configuration for tools that run beside the server (`sparkroom doctor`, `sparkroom backup`): the
 * same variables and checks, but no data directory is created and no signing key is made.
 */
export function loadToolConfig(env: Record<string, string | undefined>): Omit<Config, 'secret'> {
  const { secret: _unused, ...rest } = loadConfig(env, () => '');
  return rest;
}

/** The signing key survives restarts (tokens stay valid) without the user having to set one. */
function loadOrCreateSecret(dataDir: string): string {
  ensureDataDir(dataDir);
  const file = join(dataDir, 'secret.key');
  try {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const secret = randomBytes(32).toString('base64url');
    // 0600 (WEB-24): whoever reads this key can sign tokens for every room. 'wx': never overwrite a key.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot keep the signing key ${file}: ${e.code ?? e.message}`, { cause: err });
  }
}
