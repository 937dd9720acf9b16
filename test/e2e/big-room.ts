import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateRoomResponse, JoinResponse } from '../../schema/protocol.ts';
import { syntheticTree, tarGzDir, writeTree } from '../helpers/project-tree.ts';

/** Files every navigation test relies on, by path, on top of the synthetic ones. */
export const KNOWN_FILES: Record<string, string> = {
  'src/app/room-service.ts': [
    'import { readFile } from "node:fs/promises";',
    '',
    'export interface RoomOptions {',
    '  name: string;',
    '  capacity(): number;',
    '}',
    '',
    'export class RoomService {',
    '  private rooms = new Map<string, RoomOptions>();',
    '',
    '  open(name: string): RoomOptions | undefined {',
    '    return this.rooms.get(name);',
    '  }',
    '',
    '  close(name: string): void {',
    '    this.rooms.delete(name);',
    '  }',
    '}',
    '',
    ...Array.from({ length: 120 }, (_, i) => `export const setting${i} = ${i}; // setting line ${i + 20}`),
    '',
    'export function startRoomService(): RoomService {',
    '  return new RoomService();',
    '}',
    '',
    'export const loadConfig = async (path: string) => JSON.parse(await readFile(path, "utf8"));',
    '',
  ].join('\n'),
  'docs/guide.md': '# Guide\n\nHow to run it.\n\n## Install\n\nnpm i\n\n## Deploy\n\nShip it.\n',
  'src/search/needles.ts': [
    'export const Needle = 1;',
    'export const needle = 2;',
    'export function needles(): number {',
    '  return needle + Needle; // needle_count',
    '}',
    'export const hay = "needle42 and needle7";',
    '',
  ].join('\n'),
  'src/search/other-needle.ts': 'export const otherNeedle = "needle";\n',
  // A line that makes `(a+)+$` backtrack for ever (SAFE-80).
  'src/search/long-line.txt': `${'a'.repeat(48)}!\n`,
};

export interface BigRoom {
  roomId: string;
  /** invite link for an editor (the page joins with it) */
  editorLink: string;
  owner: JoinResponse;
  paths: string[];
  cleanup(): void;
}

/**
 * A room holding `count` files (the KNOWN_FILES and synthetic source files up to `count`, about `bytes`
 * in all), made through the REST API as a person would: create the room, join as owner, import a tar.gz.
 */
export async function makeBigRoom(base: string, count = 2000, bytes = 3 * 2 ** 20): Promise<BigRoom> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-big-'));
  const tree = { ...syntheticTree(count - Object.keys(KNOWN_FILES).length, bytes), ...KNOWN_FILES };
  writeTree(join(dir, 'tree'), tree);
  const body = tarGzDir(join(dir, 'tree'), join(dir, 'tree.tar.gz'));
  const post = async <T>(path: string, json: unknown): Promise<T> => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const room = await post<CreateRoomResponse>('/api/rooms', { name: 'Big service' });
  const owner = await post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
    invite: room.invites.owner,
    name: 'Owner',
  });
  const res = await fetch(`${base}/api/rooms/${room.roomId}/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/gzip' },
    body: new Uint8Array(body),
  });
  if (!res.ok) throw new Error(`import: ${res.status} ${await res.text()}`);
  const imported = (await res.json()) as { created: string[] };
  if (imported.created.length !== count) throw new Error(`imported ${imported.created.length} of ${count}`);
  return {
    roomId: room.roomId,
    editorLink: `${base}/join/${room.roomId}#invite=${room.invites.editor}`,
    owner,
    paths: Object.keys(tree).sort(),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
