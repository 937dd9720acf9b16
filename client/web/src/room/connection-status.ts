import type { WebsocketProvider } from 'y-websocket';
import { errorCodes } from '../../../../schema/protocol.ts';
import { isSparkroomError } from '../../../sdk/sparkroom-error.ts';
import { describeError } from '../ui/describe-error.ts';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'online' }
  | { kind: 'reconnecting'; detail: string }
  /**
   * the server closed with "do not retry" (4400-4499) or refused the upgrade: reconnecting stopped.
   * `gone` when this person can never come back with their token (removed, or the room deleted).
   */
  | { kind: 'stopped'; title: string; detail: string; gone?: boolean };

/** What a "do not retry" close code means for the person in the room. */
export function describeClose(
  code: number,
  reason: string,
): { title: string; detail: string; gone?: boolean } {
  const why = reason ? ` (${reason})` : '';
  switch (code) {
    case 4410:
      return {
        title: 'Room deleted',
        detail: `${reason || 'An owner deleted this room'}: its files and history are gone.`,
        gone: true,
      };
    case 4411:
      return {
        title: 'Removed from the room',
        detail: `${reason || 'An owner removed you from this room'}. You can no longer see or edit it.`,
        gone: true,
      };
    case 4401:
      return {
        title: 'Access expired',
        detail: 'Your access to this room expired or was revoked. Open your invite link again.',
      };
    case 4403:
      return { title: 'Access denied', detail: `The server refused this connection${why}.` };
    case 4404:
      return { title: 'Room gone', detail: 'This room no longer exists.' };
    case 4430:
      return {
        title: 'Disconnected',
        detail: 'Another participant used this tab\u2019s identity. Reload the page.',
      };
    case 4429:
      return { title: 'Disconnected', detail: `Too many updates too fast${why}. Reload the page to rejoin.` };
    case errorCodes.room_corrupt.close:
      return {
        title: 'Room unavailable',
        detail:
          'The server found this room\u2019s stored data damaged and will not serve it until its operator restores it.',
      };
    case errorCodes.missing_dependencies.close:
      // ROOM-14: this tab's updates waited for changes the server never got (too many, or too long). They
      // were not stored; a reload syncs the tab with the room as it is.
      return {
        title: 'Out of sync',
        detail:
          'This tab sent changes that build on edits the server never received, so they were not saved. ' +
          'Reload the page to rejoin with the room as it is now.',
      };
    case 4413:
      return {
        title: 'Disconnected',
        detail: `A change was too large for the server${why}. Reload the page.`,
      };
    default:
      return {
        title: 'Disconnected',
        detail: `The server closed the connection${why}. Reload the page to rejoin.`,
      };
  }
}

interface CloseLike {
  code?: number;
  reason?: string;
}

/**
 * Watches the room's two providers and says one thing about them: connecting, online, reconnecting
 * (the providers retry with backoff by themselves) or stopped (access revoked or denied). A refused
 * upgrade (401/403/404 before the socket opens) looks like a network drop to a browser, so after
 * failed attempts it asks the REST API why.
 */
export class ConnectionStatus {
  private state: ConnectionState = { kind: 'connecting' };
  private probing = false;
  private readonly listeners = new Set<(s: ConnectionState) => void>();
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly providers: WebsocketProvider[],
    private readonly probe: () => Promise<unknown>,
  ) {
    for (const p of providers) {
      const onSync = () => this.recompute();
      const onStatus = () => this.recompute();
      const onClose = (event: CloseLike | null) => this.onClose(p, event);
      const onClosed = (event: CloseLike) => this.stop(describeClose(event.code ?? 0, event.reason ?? ''));
      p.on('sync', onSync);
      p.on('status', onStatus);
      p.on('connection-close', onClose as never);
      p.on('closed', onClosed as never);
      this.cleanups.push(() => {
        p.off('sync', onSync);
        p.off('status', onStatus);
        p.off('connection-close', onClose as never);
        p.off('closed', onClosed as never);
      });
    }
    // Providers that are already live (the room page built again after a role change) say so at once.
    this.recompute();
  }

  get current(): ConnectionState {
    return this.state;
  }

  subscribe(fn: (s: ConnectionState) => void): () => void {
    this.listeners.add(fn);
    fn(this.state);
    return () => this.listeners.delete(fn);
  }

  destroy(): void {
    for (const c of this.cleanups) c();
    this.listeners.clear();
  }

  private set(next: ConnectionState): void {
    if (this.state.kind === 'stopped') return; // stopping is final; a reload starts over
    this.state = next;
    for (const fn of this.listeners) fn(next);
  }

  private recompute(): void {
    if (this.providers.every((p) => p.wsconnected && p.synced)) this.set({ kind: 'online' });
    else if (this.state.kind === 'online')
      this.set({ kind: 'reconnecting', detail: 'Connection lost. Reconnecting…' });
  }

  private onClose(provider: WebsocketProvider, event: CloseLike | null): void {
    const code = event?.code ?? 0;
    if (code >= 4400 && code < 4500) return; // the provider emits 'closed' for these
    const detail =
      code >= 4500 && code < 4600
        ? `The server is busy${event?.reason ? ` (${event.reason})` : ''}. Reconnecting…`
        : 'Connection lost. Reconnecting…';
    this.set({ kind: 'reconnecting', detail });
    if (provider.wsUnsuccessfulReconnects >= 2) this.diagnose();
  }

  private diagnose(): void {
    if (this.probing) return;
    this.probing = true;
    this.probe().then(
      () => {
        this.probing = false;
      },
      (err: unknown) => {
        this.probing = false;
        if (!isSparkroomError(err)) return;
        if (err.code === 'removed' || err.code === 'room_deleted') {
          const title = err.code === 'removed' ? 'Removed from the room' : 'Room deleted';
          this.stop({ title, detail: describeError(err, 'room'), gone: true });
        } else if (err.status === 401 || err.status === 403 || err.status === 404) {
          const title =
            err.status === 404 ? 'Room gone' : err.status === 401 ? 'Access expired' : 'Access denied';
          this.stop({ title, detail: describeError(err, 'room') });
        } else if (err.code === 'server_busy') {
          this.set({ kind: 'reconnecting', detail: 'The server is busy. Reconnecting…' });
        } else if (err.code === 'network') {
          this.set({ kind: 'reconnecting', detail: 'The server cannot be reached. Reconnecting…' });
        }
      },
    );
  }

  private stop(info: { title: string; detail: string; gone?: boolean }): void {
    for (const p of this.providers) p.disconnect();
    this.set({ kind: 'stopped', ...info });
  }
}
