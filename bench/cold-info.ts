import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateRoomResponse, JoinResponse } from '../schema/protocol.ts';
import { syntheticTree, writeTree } from '../test/helpers/project-tree.ts';
import { sparkroomContender } from './contenders/sparkroom-contender.ts';
import { whenUnloaded } from './contenders/when-unloaded.ts';
import { postJson } from './lib/post-json.ts';

/**
 * The server's side of a join of a big idle room, without a browser: a room of FILES files / MB MB of text
 * imported, then, each time after the room unloaded, the room's info (the cold load) and the first file's
 * text over REST, ms each. `npx tsx bench/cold-info.ts [files] [mb] [samples] [--cpu-prof]`; with
 * --cpu-prof the server writes its profile into the printed directory.
 */
const args = process.argv.slice(2);
const [files = 3600, mb = 15, samples = 5] = args.filter((a) => !a.startsWith('--')).map(Number);
const work = mkdtempSync(join(tmpdir(), 'cold-info-'));
const nodeFlags = args.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'prof')}`] : [];
writeTree(join(work, 'tree'), syntheticTree(files, mb * 2 ** 20));
execFileSync('tar', ['czf', join(work, 'tree.tar.gz'), '-C', join(work, 'tree'), '.']);
const running = await sparkroomContender.start({
  dataDir: join(work, 'data'),
  env: { SPARKROOM_MAX_SEND_BUFFER_BYTES: String(64 * 2 ** 20) },
  nodeFlags,
});
const base = `http://127.0.0.1:${running.process.port}`;
const post = <T>(path: string, json: unknown) => postJson<T>(base, path, json);
try {
  const room = await post<CreateRoomResponse>('/api/rooms', { name: 'cold info' });
  const owner = await post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
    invite: room.invites.owner,
    name: 'owner',
  });
  const imported = await fetch(`${base}/api/rooms/${room.roomId}/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/gzip' },
    body: readFileSync(join(work, 'tree.tar.gz')),
  });
  if (!imported.ok) throw new Error(`import: ${imported.status} ${await imported.text()}`);
  const auth = { authorization: `Bearer ${owner.token}` };
  for (let s = 0; s < samples; s++) {
    await whenUnloaded([running]);
    const t0 = performance.now();
    const info = await fetch(`${base}/api/rooms/${room.roomId}`, { headers: auth });
    const { files: paths } = (await info.json()) as { files: string[] };
    const t1 = performance.now();
    const text = await fetch(`${base}/api/rooms/${room.roomId}/file?file=${encodeURIComponent(paths[0]!)}`, {
      headers: auth,
    });
    await text.arrayBuffer();
    const t2 = performance.now();
    console.log(
      `cold info ${(t1 - t0).toFixed(0)} ms (${paths.length} files), first file ${(t2 - t1).toFixed(0)} ms`,
    );
  }
} finally {
  await running.process.stop();
  if (nodeFlags.length > 0) console.log(`profile in ${join(work, 'prof')}`);
}
