import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { oneStep } from '../../../../client/web/src/editor/own-undo.ts';

/** Ada's doc and the server's: Ada types, the server applies an accept (a remote, untracked change). */
function setup() {
  const ada = new Y.Doc();
  const server = new Y.Doc();
  ada.on('update', (u: Uint8Array) => Y.applyUpdate(server, u, 'ada'));
  server.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin !== 'ada') Y.applyUpdate(ada, u, 'remote');
  });
  const text = ada.getText('f');
  const um = new Y.UndoManager(text, { captureTimeout: 0 });
  const type = (at: number, s: string) => text.insert(at, s);
  return { ada, server, text, um, type, serverText: server.getText('f') };
}

describe('per-person undo, one step at a time (WEB-2, REVIEW-3)', () => {
  it('a step whose text an accept replaced is dropped and reported, never skipped to an unrelated older line', () => {
    const { text, um, type, serverText } = setup();
    type(0, 'note\n'); // minutes earlier, unrelated
    type(5, 'function add() {}\n'); // her latest step
    // Spark's suggestion is accepted (by anyone): the function line is replaced on the server.
    serverText.delete(5, 'function add() {}\n'.length);
    serverText.insert(5, 'function add() { return 1; }\n');
    expect(text.toString()).toBe('note\nfunction add() { return 1; }\n');

    // Y.UndoManager.undo() itself would skip the dead step and take back "note".
    const probe = setup();
    probe.type(0, 'note\n');
    probe.type(5, 'x\n');
    probe.serverText.delete(5, 2);
    probe.um.undo();
    expect(probe.text.toString()).toBe('');

    expect(oneStep(um, 'undo')).toBe(false);
    expect(text.toString()).toBe('note\nfunction add() { return 1; }\n');
    // The older step is still there for the next Ctrl+Z, and it works.
    expect(um.undoStack).toHaveLength(1);
    expect(oneStep(um, 'undo')).toBe(true);
    expect(text.toString()).toBe('function add() { return 1; }\n');
    expect(oneStep(um, 'redo')).toBe(true);
    expect(text.toString()).toBe('note\nfunction add() { return 1; }\n');
  });

  it('undo and redo of live steps go one at a time, in order', () => {
    const { text, um, type } = setup();
    type(0, 'a');
    type(1, 'b');
    type(2, 'c');
    expect(oneStep(um, 'undo')).toBe(true);
    expect(text.toString()).toBe('ab');
    expect(oneStep(um, 'undo')).toBe(true);
    expect(text.toString()).toBe('a');
    expect(oneStep(um, 'redo')).toBe(true);
    expect(text.toString()).toBe('ab');
    expect(um.undoStack).toHaveLength(2);
    expect(um.redoStack).toHaveLength(1);
  });
});
