import { apiPaths, CODE_FILES_KEY, type FileTextResponse } from '../../schema/protocol.ts';
import { api, type TestServer } from './test-server.ts';
import { connectClient, whenSynced } from './y-client.ts';

/** How many times `roomId` was loaded on `server` while `fn` ran (PERF-114, PERF-129: loads per join). */
export async function loadsDuring(
  server: TestServer,
  roomId: string,
  fn: () => Promise<void>,
): Promise<number> {
  let loads = 0;
  const off = server.running.registry.onLoad((r) => {
    if (r.id === roomId) loads++;
  });
  try {
    await fn();
  } finally {
    off();
  }
  return loads;
}

/**
 * What the room page reads as it opens, in its order: the room's info, then (a turn later) its first file over
 * REST and the code doc over a stock client's socket. Answers the info's files, the first file's text and how
 * many files the synced code doc holds.
 */
export async function readAsRoomPage(
  server: TestServer,
  roomId: string,
  token: string,
): Promise<{ files: string[]; firstText: string; syncedFiles: number }> {
  const info = await api<{ files: string[] }>(server.url, 'GET', apiPaths.room(roomId), { token });
  await new Promise((r) => setImmediate(r));
  const first = await api<FileTextResponse>(server.url, 'GET', apiPaths.fileText(roomId), { token });
  const page = connectClient(server.syncUrl, roomId, token);
  try {
    await whenSynced(page);
    return {
      files: info.body.files,
      firstText: first.body.text,
      syncedFiles: page.doc.getMap(CODE_FILES_KEY).size,
    };
  } finally {
    page.destroy();
  }
}
