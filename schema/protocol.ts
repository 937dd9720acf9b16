/**
 * The wire contract shared by the server and every client (SDK, web app, tests, benchmarks).
 * It imports nothing outside schema/protocol/: plain constants and types, so the browser bundle can take it
 * whole. One file per part of the contract; callers import from here.
 */

export * from './protocol/access.ts';
export * from './protocol/awareness.ts';
export * from './protocol/classroom.ts';
export * from './protocol/history.ts';
export * from './protocol/paths.ts';
export * from './protocol/rest.ts';
export * from './protocol/review-doc.ts';
export * from './protocol/threads.ts';
export * from './protocol/wire-codes.ts';
