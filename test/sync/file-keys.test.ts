import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { codeUpdateProblem } from '../../server/rooms/code-doc-shape.ts';
import { fileUpdate, openRawClient, syncSocketUrl, updateFrame } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

describe('file keys written through Yjs are checked like REST paths (SAFE-12)', () => {
  it.each([
    ['../../etc/passwd', 'invalid file path'],
    ['/abs/path.ts', 'invalid file path'],
    ['a\\b.ts', 'invalid file path'],
    ['src//x.ts', 'invalid file path'],
  ])('refuses the key %s', (path, problem) => {
    expect(codeUpdateProblem(fileUpdate(path, 'x'))).toContain(problem);
  });

  it('accepts ordinary paths and edits inside existing files, refuses non-text values', () => {
    expect(codeUpdateProblem(fileUpdate('src/main.ts', 'x'))).toBeNull();
    const doc = new Y.Doc();
    doc.getMap(CODE_FILES_KEY).set('notes.md', 'a plain string');
    expect(codeUpdateProblem(Y.encodeStateAsUpdate(doc))).toContain('must be a Y.Text');
  });

  describe('on a live server', () => {
    let server: TestServer;
    beforeEach(async () => {
      server = await startTestServer();
    });
    afterEach(async () => {
      await server.close();
    });

    it('closes the writer with 4400 and nobody else sees the key', async () => {
      const { room, people } = await server.roomWith(['editor', 'editor']);
      const other = connectClient(server.syncUrl, room.roomId, people[1]!.token);
      await whenSynced(other);
      const raw = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[0]!.token));
      raw.send(updateFrame(fileUpdate('../escape.ts', 'pwned')));
      const closed = await raw.waitForClose();
      expect(closed.code).toBe(4400);
      expect(closed.reason).toContain('invalid file path');
      other.edit('ok.ts', (t) => t.insert(0, 'fine'));
      const probe = connectClient(server.syncUrl, room.roomId, people[1]!.token);
      await probe.waitForText('ok.ts', (t) => t === 'fine');
      expect([...probe.files.keys()]).toEqual(['ok.ts']);
      probe.destroy();
      other.destroy();
    });
  });
});
