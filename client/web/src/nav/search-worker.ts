import { type SearchLimits, type SearchQuery, searchFiles } from './search-engine.ts';

/** Messages to the search worker; it answers a `search` with a `result` of the same id. */
export type SearchWorkerRequest =
  | { type: 'reset'; files: [string, string][] }
  | { type: 'update'; files: [string, string | null][] }
  | { type: 'search'; id: number; query: SearchQuery; limits: SearchLimits };

export type SearchWorkerAnswer = { type: 'result'; id: number; result: ReturnType<typeof searchFiles> };

// The worker's copy of the room's files: the page sends every change, so a search never waits for
// 15 MB to be copied, and a search that runs away (a hostile regex) blocks only this thread.
const files = new Map<string, string>();
/** the files in path order, rebuilt after a change (results list files alphabetically) */
let sorted: [string, string][] | null = null;

/** The worker's global scope, as far as we use it (the DOM library's `self` is a Window). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<SearchWorkerRequest>) => void) | null;
  postMessage(answer: SearchWorkerAnswer): void;
};

scope.onmessage = (e) => {
  const msg = e.data;
  switch (msg.type) {
    case 'reset':
      files.clear();
      for (const [path, text] of msg.files) files.set(path, text);
      sorted = null;
      break;
    case 'update':
      for (const [path, text] of msg.files) {
        if (text === null) files.delete(path);
        else files.set(path, text);
      }
      sorted = null;
      break;
    case 'search': {
      sorted ??= [...files.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const answer: SearchWorkerAnswer = {
        type: 'result',
        id: msg.id,
        result: searchFiles(sorted, msg.query, msg.limits),
      };
      scope.postMessage(answer);
      break;
    }
  }
};
