import { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { isSparkroomError } from '../../../sdk/sparkroom-error.ts';
import { mountRoom } from '../room/mount-room.ts';
import { RoomSession } from '../room/room-session.ts';
import { isExpired, readClaims, type SessionStore } from '../session-store.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';
import { showProblem } from './join-page.ts';

/** `/r/:roomId`: needs this browser's personal token for the room (from joining with an invite). */
export async function showRoomPage(
  root: HTMLElement,
  store: SessionStore,
  roomId: string,
): Promise<() => void> {
  const saved = store.session(roomId);
  const claims = saved ? readClaims(saved.token) : null;
  if (!saved || !claims) {
    showProblem(root, 'You are not in this room yet', 'Open the invite link someone sent you to join it.');
    return () => {};
  }
  if (isExpired(saved.token)) {
    store.forget(roomId);
    showProblem(
      root,
      'Your access expired',
      'Personal access to a room lasts a while, then needs the invite link again. Open your invite link to rejoin.',
    );
    return () => {};
  }
  mount(
    root,
    h('div', { class: 'centered' }, h('p', { class: 'muted loading' }, `Opening ${saved.roomName}…`)),
  );
  const client = new SparkroomClient({ baseUrl: '', roomId, token: saved.token });
  try {
    const info = await client.roomInfo();
    document.title = `${info.name} · Sparkroom`;
    const session = new RoomSession(client, claims, info);
    const unmount = mountRoom(root, client, claims, session);
    return () => {
      unmount();
      session.destroy();
    };
  } catch (err) {
    const revoked = isSparkroomError(err) && (err.status === 401 || err.status === 403);
    if (revoked) store.forget(roomId);
    const retry = isSparkroomError(err) && (err.code === 'network' || err.code === 'server_busy');
    showProblem(
      root,
      revoked ? 'Access denied' : 'Cannot open the room',
      describeError(err, 'room'),
      retry ? { label: 'Try again', run: () => location.reload() } : undefined,
    );
    return () => {};
  }
}
