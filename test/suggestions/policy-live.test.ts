import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { REVIEW_ROOM_KEY, type RoomPolicy } from '../../schema/protocol.ts';
import { type AgentRoom, startAgentRoom, waitReview } from '../helpers/agent-room.ts';
import { api } from '../helpers/test-server.ts';
import { whenSynced } from '../helpers/y-client.ts';

describe('the room policy is live for every open page (WEB-11)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('WEB-11: the review doc carries the policy from the room load, and every change reaches watchers at once', async () => {
    room = await startAgentRoom();
    const [owner, editor] = room.people;
    const watcher = room.client(editor!.token, { review: true });
    await whenSynced(watcher);
    const policyOf = () =>
      watcher.doc.getMap<unknown>(REVIEW_ROOM_KEY).get('policy') as RoomPolicy | undefined;
    await waitReview(watcher, () => policyOf()?.stop.includes('viewer'), 'the default policy');
    expect(policyOf()).toEqual({
      accept: ['owner', 'editor'],
      interrupt: ['owner', 'editor'],
      stop: ['owner', 'editor', 'viewer'],
      comment: ['owner', 'editor', 'viewer'],
    });

    const put = await api(room.server.url, 'PUT', `/api/rooms/${room.roomId}/policy`, {
      token: owner!.token,
      body: { accept: ['owner'], interrupt: ['owner', 'editor'], stop: ['owner'] },
    });
    expect(put.status).toBe(200);
    await waitReview(watcher, () => policyOf()?.accept.length === 1, 'the new policy');
    expect(policyOf()).toEqual({
      accept: ['owner'],
      interrupt: ['owner', 'editor'],
      stop: ['owner'],
      // a field the PUT left out keeps its value
      comment: ['owner', 'editor', 'viewer'],
    });

    // The refusal names the role with the right article.
    const refused = await room.post<{ error: { message: string } }>(editor!.token, '/runs/run_x/accept');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('an editor may not accept in this room');
    // The map holds room-wide state only (no runs or suggestions leak into it).
    expect([...(watcher.doc.getMap(REVIEW_ROOM_KEY) as Y.Map<unknown>).keys()]).toEqual(['policy']);
  });
});
