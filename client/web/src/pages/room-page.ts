import type { JoinResponse, RoomInfo } from '../../../../schema/protocol.ts';
import { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { isSparkroomError } from '../../../sdk/sparkroom-error.ts';
import { mountRoom } from '../room/mount-room.ts';
import { RoomSession } from '../room/room-session.ts';
import { roomPath } from '../routes.ts';
import { isExpired, readClaims, type SessionStore } from '../session-store.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';
import { showProblem } from './join-page.ts';

/** `/r/:roomId`: needs this browser's personal token for the room (from joining with an invite). */
export async function showRoomPage(
  root: HTMLElement,
  store: SessionStore,
  roomId: string,
  /** the room's info already asked for (PERF-113); asked here otherwise */
  early?: Promise<RoomInfo>,
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
    const info = await (early ?? client.roomInfo());
    performance.mark('sparkroom:room-info');
    document.title = `${info.name} · Sparkroom`;
    // The role is the one the room has for this person now (an owner may have changed it since the join).
    const me = { ...claims, role: info.you.role };
    const remember = () => {
      const current = store.session(roomId);
      if (current) store.save({ ...current, user: { ...current.user, role: session.me.role } });
    };
    // PERF-51: the file the page opens first (the link's, or the room's first), read over REST while the
    // socket syncs the whole code doc: it is shown until then. Asked for only when the room's info names it,
    // so an empty room or a stale link costs no refused request.
    const wanted = new URLSearchParams(location.hash.slice(1)).get('file');
    const first = wanted !== null && info.files.includes(wanted) ? wanted : info.files[0];
    // WEB-117: the info asked early brings that text along; asked here, it is a request of its own.
    const firstFile =
      first === undefined
        ? Promise.resolve(null)
        : (info.first !== undefined ? Promise.resolve(info.first) : client.fileText(first)).then(
            (text) => {
              performance.mark('sparkroom:first-file-text');
              return text;
            },
            () => null,
          );
    const session = new RoomSession(client, me, info);
    remember();
    const deletedByMe = () => {
      unmount();
      session.destroy();
      store.forget(roomId);
      document.title = 'Sparkroom';
      showProblem(root, 'Room deleted', `“${info.name}” and everything in it are gone, for everyone.`);
    };
    const options = {
      firstFile,
      deleted: deletedByMe,
      gone: () => store.forget(roomId),
      // CLASS-24: the teacher opens a student's copy with the token the dashboard got for it.
      openRoom: (join: JoinResponse, hash: string) => {
        store.saveJoin(join.user.name, join);
        location.assign(`${roomPath(join.room.id)}${hash}`);
      },
    };
    let unmount = mountRoom(root, client, session.me, session, options);
    // AUTH-5: an owner changed this person's role; the sockets stay, the page is built again around it.
    // (A freeze or the pen is not a role change: the page switches in place, CLASS-29.)
    session.on('role', () => {
      unmount();
      unmount = mountRoom(root, client, session.me, session, { ...options, roleChangedTo: session.me.role });
      remember();
    });
    return () => {
      unmount();
      session.destroy();
    };
  } catch (err) {
    const denied = isSparkroomError(err) && (err.status === 401 || err.status === 403 || err.status === 410);
    if (denied) store.forget(roomId);
    const retry = isSparkroomError(err) && (err.code === 'network' || err.code === 'server_busy');
    const title = !isSparkroomError(err)
      ? 'Cannot open the room'
      : err.code === 'removed'
        ? 'Removed from the room'
        : err.code === 'room_deleted'
          ? 'Room deleted'
          : denied
            ? 'Access denied'
            : 'Cannot open the room';
    showProblem(
      root,
      title,
      describeError(err, 'room'),
      retry ? { label: 'Try again', run: () => location.reload() } : undefined,
    );
    return () => {};
  }
}
