/**
 * PERF-146: the code doc's shape check (SAFE-35) of one keystroke, through the document alone (the room's
 * path) against the outline resolver (every update's path before it), in one process, taking turns. Warm
 * figures: a room's keystrokes find the caches colder (SPEC "Not held yet"), so read the ratio.
 *
 *   npx tsx bench/shape-check-cpu.ts [CALLS=200000]
 */
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../schema/protocol.ts';
import { codeStructsProblem, resolvedStructsProblem } from '../server/rooms/code-doc-shape.ts';
import { readUpdateOutline } from '../server/rooms/update-scan.ts';

const CALLS = Number(process.argv[2] ?? 200_000);
const server = new Y.Doc();
server.getMap(CODE_FILES_KEY).set('src/a.ts', new Y.Text('hello world\n'.repeat(100)));
const author = new Y.Doc();
author.clientID = 9;
Y.applyUpdate(author, Y.encodeStateAsUpdate(server));
let keystroke: Uint8Array | null = null;
author.on('update', (u: Uint8Array) => {
  keystroke = u;
});
author.getMap<Y.Text>(CODE_FILES_KEY).get('src/a.ts')!.insert(500, 'k');
const structs = readUpdateOutline(keystroke!).structs;
for (let round = 0; round < 3; round++) {
  const line: string[] = [];
  for (const [name, check] of [
    ['resolver', resolvedStructsProblem],
    ['from the document', codeStructsProblem],
  ] as const) {
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) check(structs, server);
    line.push(`${name} ${(((performance.now() - t0) * 1000) / CALLS).toFixed(3)} µs`);
  }
  console.log(line.join(', '));
}
