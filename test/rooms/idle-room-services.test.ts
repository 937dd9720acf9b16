import { afterEach, describe, expect, it } from 'vitest';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { until } from '../helpers/wait.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const servers: TestServer[] = [];
const clients: YClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.close();
});

/** The events the room's code doc has listeners for, with how many each (lib0 keeps one Set per event). */
function listeners(doc: object): Record<string, number> {
  const observers = (doc as { _observers: Map<string, Set<unknown>> })._observers;
  return Object.fromEntries([...observers].map(([event, set]) => [event, set.size]));
}

describe("what the services hang on an idle room's documents", () => {
  it('PERF-120: staleness (AGENT-7) listens to the code doc only once the review doc is open; before, it had nothing to check', async () => {
    const s = await startTestServer();
    servers.push(s);
    const { room, people } = await s.roomWith(['editor']);
    const person = connectClient(s.syncUrl, room.roomId, people[0]!.token);
    clients.push(person);
    await whenSynced(person);
    person.edit('a.ts', (t) => t.insert(0, 'hello'));
    const loaded = s.running.registry.peek(room.roomId)!;
    const files = loaded.code.doc.getMap(CODE_FILES_KEY);
    await until(
      () => files.size === 1,
      (on) => {
        files.observe(on);
        return () => files.unobserve(on);
      },
    );
    // A room of people typing, its review doc unopened (PERF-31): no afterTransaction listener (on main: one).
    expect(loaded.reviewIsOpen).toBe(false);
    expect(listeners(loaded.code.doc).afterTransaction).toBeUndefined();
    // Once the review doc opens, the check is on (and the existing AGENT-7 tests hold it to its behaviour).
    expect(loaded.review.name).toBe(`${room.roomId}/review`);
    expect(listeners(loaded.code.doc).afterTransaction).toBe(1);
  });
});
