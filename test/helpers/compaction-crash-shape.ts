/** The document compaction-crash-child.ts writes (ROOM-30's crash test). */
export const CRASH_DOC = 'crash-room';

/** The token edit n writes into that document. */
export const crashToken = (n: number) => `<edit ${n}>`;
