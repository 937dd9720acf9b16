import type { SeedSpec } from '../lib/seed-content.ts';
import type { ClientSpec, ConnectTiming } from './bench-client.ts';

/** Commands the main thread sends a driver worker; each gets exactly one reply with the same id. */
export type WorkerCommand =
  | { op: 'open'; clients: ClientSpec[]; concurrency: number }
  | { op: 'seed'; key: string; seed: SeedSpec }
  | { op: 'ack'; keys: string[] }
  | { op: 'write'; keys: string[]; ratePerClient: number; durationMs: number }
  | { op: 'settle'; sent: [number, number][]; roomWriters: Record<string, number[]>; timeoutMs: number }
  | { op: 'collect'; reset: boolean }
  | { op: 'digests' }
  | { op: 'seen'; key: string }
  | { op: 'markers'; key: string }
  | { op: 'watch'; keys: string[]; reset: boolean }
  | { op: 'close'; keys: string[] | null };

export interface CollectResult {
  /** tag -> compressed hdr histogram */
  histograms: Record<string, string>;
  clients: number;
  closedUnexpectedly: number;
  /** the same per client tag, so interleaved contenders (one tag each) are told apart */
  closedByTag: Record<string, number>;
  closeCodes: number[];
}

export interface SettleResult {
  complete: number;
  incomplete: number;
}

export interface DigestRow {
  key: string;
  docName: string;
  digest: string;
  length: number;
}

export interface WriteResult {
  /** [writer, edits sent] */
  sent: [number, number][];
  /** wall ms the worker spent writing */
  elapsedMs: number;
  /** edits that were due but whose socket was gone */
  dropped: number;
}

export interface WatchRow {
  key: string;
  /** [ordinal, clockMs when first fully visible] */
  firstSeen: [number, number][];
  lastUpdateAt: number;
  /** clockMs of the last update that wrote something (not only deletions: a settled run retiring) */
  lastWriteAt: number;
}

export type WorkerReplyValue =
  | ConnectTiming[]
  | WriteResult
  | SettleResult
  | CollectResult
  | DigestRow[]
  | WatchRow[]
  | string[]
  | { writer: number; seq: number }[]
  | null;

export type WorkerReply =
  | { id: number; ok: true; value: WorkerReplyValue }
  | { id: number; ok: false; error: string };
