import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  AssignmentJoinResponse,
  AssignmentResponse,
  DashboardResponse,
  ErrorBody,
  JoinResponse,
} from '../../schema/protocol.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const TEMPLATE = { 'main.py': 'def add(a, b):\n    pass\n', 'README.md': '# Add two numbers\n' };

describe('assignments (CLASS-20..27), through REST and stock y-websocket clients', () => {
  let server: TestServer | null = null;
  const clients: YClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
    server = null;
  });
  const client = (roomId: string, token: string) => {
    const c = connectClient(server!.syncUrl, roomId, token);
    clients.push(c);
    return c;
  };

  /** A teacher's template room with TEMPLATE's files, and an assignment made from it. */
  async function assignmentFromTemplate(s: TestServer) {
    const { room, people } = await s.roomWith(['owner', 'viewer']);
    const teacher = people[0]!;
    const t = client(room.roomId, teacher.token);
    await whenSynced(t);
    for (const [path, text] of Object.entries(TEMPLATE)) t.edit(path, (x) => x.insert(0, text));
    const probe = client(room.roomId, teacher.token);
    await probe.waitForText('README.md', (x) => x === TEMPLATE['README.md']);
    const made = await api<AssignmentResponse>(s.url, 'POST', `/api/rooms/${room.roomId}/assignments`, {
      token: teacher.token,
      body: { name: 'Week 1: add' },
    });
    expect(made.status).toBe(201);
    return { templateId: room.roomId, teacher, viewer: people[1]!, assignment: made.body.assignment, t };
  }
  const joinAs = (s: TestServer, id: string, code: string, name: string, token?: string) =>
    api<AssignmentJoinResponse & ErrorBody>(s.url, 'POST', `/api/assignments/${id}/join`, {
      body: { code, name, ...(token ? { token } : {}) },
    });

  it('CLASS-20/CLASS-21/CLASS-22: each student gets their own copy of the template on first join, and the same copy on the next; the teacher owns every copy', async () => {
    server = await startTestServer();
    const { templateId, teacher, assignment, t } = await assignmentFromTemplate(server);
    expect(assignment).toMatchObject({ name: 'Week 1: add', templateRoomId: templateId, files: 2 });
    // The template changes after the assignment was made: copies start from the files as they were.
    t.edit('main.py', (x) => x.insert(x.length, '# solution: return a + b\n'));

    const ada = await joinAs(server, assignment.id, assignment.code, 'Ada');
    const bob = await joinAs(server, assignment.id, assignment.code, 'Bob');
    expect([ada.status, bob.status]).toEqual([201, 201]);
    expect(ada.body.user.role).toBe('editor');
    expect(ada.body.room.id).not.toBe(bob.body.room.id);
    expect(ada.body.room.id).not.toBe(templateId);

    const a = client(ada.body.room.id, ada.body.token);
    await a.waitForText('main.py', (x) => x === TEMPLATE['main.py']);
    expect(a.text('README.md')).toBe(TEMPLATE['README.md']);

    // A second visit with the token this browser kept: the same copy, no new room.
    const again = await joinAs(server, assignment.id, assignment.code, 'Ada', ada.body.token);
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    expect(again.body.room.id).toBe(ada.body.room.id);
    // A token of another room (the template's) is no copy of this assignment: a new copy.
    const other = await joinAs(server, assignment.id, assignment.code, 'Eve', teacher.token);
    expect(other.status).toBe(201);

    // The teacher is an owner of each copy under their own id.
    const people = await api<{ people: { id: string; role: string }[] }>(
      server.url,
      'GET',
      `/api/rooms/${ada.body.room.id}/people`,
      { token: ada.body.token },
    );
    expect(people.body.people.find((p) => p.id === teacher.user.id)?.role).toBe('owner');
    expect(people.body.people.find((p) => p.id === ada.body.user.id)?.role).toBe('editor');
  });

  it('CLASS-23/CLASS-24/CLASS-25: the dashboard shows each copy’s activity live; the teacher opens a copy, and collects all of them in one zip', async () => {
    server = await startTestServer();
    const { templateId, teacher, assignment } = await assignmentFromTemplate(server);
    const ada = (await joinAs(server, assignment.id, assignment.code, 'Ada')).body;
    const bob = (await joinAs(server, assignment.id, assignment.code, 'Bob')).body;
    const dashboard = async () =>
      (
        await api<DashboardResponse>(
          server!.url,
          'GET',
          `/api/rooms/${templateId}/assignments/${assignment.id}`,
          {
            token: teacher.token,
          },
        )
      ).body;

    const before = await dashboard();
    expect(
      before.copies.map((c) => [c.student.name, c.added, c.removed, c.runs, c.pending, c.lastEditAt]),
    ).toEqual([
      ['Ada', 0, 0, 0, 0, null],
      ['Bob', 0, 0, 0, 0, null],
    ]);

    const a = client(ada.room.id, ada.token);
    await whenSynced(a);
    a.edit('main.py', (x) => {
      const at = x.toString().indexOf('pass');
      x.delete(at, 4);
      x.insert(at, 'return a + b');
    });
    // The dashboard is asked again (as the page polls it) until Ada's edit and socket show.
    let live = await dashboard();
    for (let i = 0; i < 200; i++) {
      const row = live.copies.find((c) => c.student.id === ada.user.id);
      if (row && row.added === 1 && row.connected) break;
      await new Promise((r) => setTimeout(r, 50));
      live = await dashboard();
    }
    const adaRow = live.copies.find((c) => c.student.id === ada.user.id)!;
    expect(adaRow).toMatchObject({ added: 1, removed: 1, runs: 0, pending: 0, connected: true });
    expect(adaRow.lastEditAt).not.toBeNull();
    expect(live.copies.find((c) => c.student.id === bob.user.id)).toMatchObject({
      added: 0,
      connected: false,
      lastEditAt: null,
    });

    // CLASS-24: the teacher opens Ada's copy as its owner and sees her text.
    const opened = await api<JoinResponse>(
      server.url,
      'POST',
      `/api/rooms/${templateId}/assignments/${assignment.id}/copies/${ada.room.id}/open`,
      { token: teacher.token, body: {} },
    );
    expect(opened.status).toBe(200);
    expect(opened.body.user).toMatchObject({ id: teacher.user.id, role: 'owner' });
    const look = client(ada.room.id, opened.body.token);
    await look.waitForText('main.py', (x) => x.includes('return a + b'));

    // CLASS-25: one zip, a folder per student, each with their own text.
    const zip = await fetch(
      `${server.url}/api/rooms/${templateId}/assignments/${assignment.id}/collect.zip`,
      {
        headers: { authorization: `Bearer ${teacher.token}` },
      },
    );
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    const dir = mkdtempSync(join(tmpdir(), 'sparkroom-collect-'));
    try {
      writeFileSync(join(dir, 'all.zip'), Buffer.from(await zip.arrayBuffer()));
      execFileSync('unzip', ['-q', join(dir, 'all.zip'), '-d', join(dir, 'out')]);
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(['Ada', 'Bob']);
      expect(readFileSync(join(dir, 'out', 'Ada', 'main.py'), 'utf8')).toBe(
        'def add(a, b):\n    return a + b\n',
      );
      expect(readFileSync(join(dir, 'out', 'Bob', 'main.py'), 'utf8')).toBe(TEMPLATE['main.py']);
      expect(readFileSync(join(dir, 'out', 'Bob', 'README.md'), 'utf8')).toBe(TEMPLATE['README.md']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CLASS-23: a copy kept loaded from its seeding to the student’s socket (nothing unloaded it between) still reports the student’s edits as the last edit', async () => {
    server = await startTestServer();
    const { templateId, teacher, assignment } = await assignmentFromTemplate(server);
    // Every room loaded from here on stays loaded (as a join page's early load or a busy machine keeps it):
    // the copy's room is then the one loaded to seed it, before its copy record was stored.
    const holds: (() => void)[] = [];
    const stop = server.running.registry.onLoad((room) => holds.push(room.hold()));
    try {
      const ada = (await joinAs(server, assignment.id, assignment.code, 'Ada')).body;
      const a = client(ada.room.id, ada.token);
      await whenSynced(a);
      a.edit('main.py', (x) => x.insert(0, '# mine\n'));
      let row: DashboardResponse['copies'][number] | undefined;
      for (let i = 0; i < 200; i++) {
        const live = await api<DashboardResponse>(
          server.url,
          'GET',
          `/api/rooms/${templateId}/assignments/${assignment.id}`,
          { token: teacher.token },
        );
        row = live.body.copies.find((c) => c.student.id === ada.user.id);
        if (row && row.added === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(row).toMatchObject({ added: 1, removed: 0, connected: true });
      expect(row?.lastEditAt).not.toBeNull();
    } finally {
      stop();
      for (const release of holds) release();
    }
  });

  it('CLASS-26/SAFE-98: a student opening another student’s copy gets 403 and changes nothing; students and viewers reach no dashboard; bad input is a clear 4xx', async () => {
    server = await startTestServer();
    const { templateId, teacher, viewer, assignment } = await assignmentFromTemplate(server);
    const ada = (await joinAs(server, assignment.id, assignment.code, 'Ada')).body;
    const bob = (await joinAs(server, assignment.id, assignment.code, 'Bob')).body;

    // Ada's token on Bob's copy: 403 on REST, and no socket opens (ROOM's AUTH-2).
    const info = await api<ErrorBody>(server.url, 'GET', `/api/rooms/${bob.room.id}`, { token: ada.token });
    expect(info.status).toBe(403);
    const upgrade = await fetch(`${server.url}/sync/${bob.room.id}?token=${encodeURIComponent(ada.token)}`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    }).catch(() => null);
    expect(upgrade === null || upgrade.status === 403).toBe(true);
    const teacherOnly: [string, string][] = [
      ['GET', `/api/rooms/${templateId}/assignments/${assignment.id}`],
      ['GET', `/api/rooms/${templateId}/assignments`],
      ['POST', `/api/rooms/${templateId}/assignments/${assignment.id}/copies/${bob.room.id}/open`],
      ['GET', `/api/rooms/${templateId}/assignments/${assignment.id}/collect.zip`],
    ];
    for (const [method, path] of teacherOnly) {
      for (const token of [ada.token, viewer.token]) {
        const res = await api<ErrorBody>(server.url, method, path, {
          token,
          ...(method === 'POST' ? { body: {} } : {}),
        });
        expect(res.status, `${method} ${path}`).toBe(403);
      }
    }
    // Nothing changed: Bob's copy still holds the template, and his people are Bob and the teacher.
    const b = client(bob.room.id, bob.token);
    await b.waitForText('main.py', (x) => x === TEMPLATE['main.py']);
    const people = await api<{ people: { id: string }[] }>(
      server.url,
      'GET',
      `/api/rooms/${bob.room.id}/people`,
      {
        token: bob.token,
      },
    );
    expect(people.body.people.map((p) => p.id)).not.toContain(ada.user.id);

    const bad: [string, string, unknown, number][] = [
      ['POST', `/api/assignments/${assignment.id}/join`, { code: 'wrong', name: 'Eve' }, 403],
      ['POST', `/api/assignments/as_nope/join`, { code: assignment.code, name: 'Eve' }, 404],
      ['POST', `/api/assignments/${assignment.id}/join`, { code: assignment.code, name: '' }, 400],
      [
        'POST',
        `/api/assignments/${assignment.id}/join`,
        { code: assignment.code, name: 'Eve', admin: true },
        400,
      ],
      ['POST', `/api/rooms/${templateId}/assignments`, { name: '' }, 400],
      ['POST', `/api/rooms/${templateId}/assignments`, { name: 'x'.repeat(121) }, 400],
    ];
    for (const [method, path, body, status] of bad) {
      const token = path.includes('/rooms/') ? teacher.token : undefined;
      const res = await api<ErrorBody>(server.url, method, path, { body, ...(token ? { token } : {}) });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.error.message.length).toBeGreaterThan(0);
    }
    const dashboard = await api<DashboardResponse>(
      server.url,
      'GET',
      `/api/rooms/${templateId}/assignments/${assignment.id}`,
      { token: teacher.token },
    );
    expect(dashboard.body.copies.map((c) => c.student.name)).toEqual(['Ada', 'Bob']);
    // An unknown assignment or a room that is no copy of it: 404.
    const nope = await api<ErrorBody>(server.url, 'GET', `/api/rooms/${templateId}/assignments/as_nope`, {
      token: teacher.token,
    });
    expect(nope.status).toBe(404);
    const notCopy = await api<ErrorBody>(
      server.url,
      'POST',
      `/api/rooms/${templateId}/assignments/${assignment.id}/copies/${templateId}/open`,
      { token: teacher.token, body: {} },
    );
    expect(notCopy.status).toBe(404);
  });

  it('CLASS-27: assignments and their copies survive a restart: the dashboard lists them, a student’s link opens the same copy', async () => {
    server = await startTestServer();
    const { templateId, teacher, assignment } = await assignmentFromTemplate(server);
    const ada = (await joinAs(server, assignment.id, assignment.code, 'Ada')).body;
    const dataDir = server.dataDir;
    for (const c of clients.splice(0)) c.destroy();
    await server.close({ keepData: true });
    server = await startTestServer({ dataDir });
    const list = await api<{ assignments: { id: string }[] }>(
      server.url,
      'GET',
      `/api/rooms/${templateId}/assignments`,
      {
        token: teacher.token,
      },
    );
    expect(list.body.assignments.map((a) => a.id)).toEqual([assignment.id]);
    const d = await api<DashboardResponse>(
      server.url,
      'GET',
      `/api/rooms/${templateId}/assignments/${assignment.id}`,
      {
        token: teacher.token,
      },
    );
    expect(d.body.copies.map((c) => c.roomId)).toEqual([ada.room.id]);
    const again = await joinAs(server, assignment.id, assignment.code, 'Ada', ada.token);
    expect(again.status).toBe(200);
    expect(again.body.room.id).toBe(ada.room.id);
  });
});
