import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultModes, type RoomModes } from '../../schema/protocol.ts';
import type { AssignmentRecord, ClassroomStore, CopyRecord } from '../../server/classroom/classroom-store.ts';
import type { StoreHarness } from '../helpers/store-harness.ts';

export const assignment = (id: string, templateRoomId: string, at: number): AssignmentRecord => ({
  id,
  templateRoomId,
  name: `Exercise ${id}`,
  code: `code-${id}`,
  createdBy: 'u_teacher',
  createdByName: 'Grace',
  createdAt: at,
  files: [
    { path: 'main.py', text: 'print("hi")\n' },
    { path: 'src/ü.ts', text: 'export {};\n' },
  ],
});

export const copy = (roomId: string, assignmentId: string, at: number): CopyRecord => ({
  roomId,
  assignmentId,
  studentId: `u_${roomId}`,
  studentName: `Student ${roomId}`,
  createdAt: at,
  lastEditAt: null,
});

/** The behaviour every ClassroomStore must have (server/classroom/classroom-store.ts). */
export function classroomStoreContract(
  name: string,
  makeStore: () => Promise<StoreHarness<ClassroomStore>>,
): void {
  describe(`ClassroomStore contract: ${name}`, () => {
    let harness: StoreHarness<ClassroomStore>;
    let store: ClassroomStore;
    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('CLASS-1: keeps each room’s modes, the latest, across a restart', async () => {
      expect(await store.getModes('r1')).toBeNull();
      const lecture: RoomModes = {
        tutor: { enabled: true, maxChangedLines: 5 },
        lecture: {
          follow: true,
          frozen: true,
          leader: { id: 'u1', name: 'Grace' },
          pen: { userId: 'u2', name: 'Alan', until: 123_456 },
        },
      };
      await store.setModes('r1', defaultModes, 1);
      await store.setModes('r1', lecture, 2);
      await store.setModes('r2', defaultModes, 3);
      store = await harness.reopen();
      expect(await store.getModes('r1')).toEqual(lecture);
      expect(await store.getModes('r2')).toEqual(defaultModes);
    });

    it('CLASS-20: keeps assignments with their files and their copies, oldest first, across a restart', async () => {
      await store.createAssignment(assignment('a2', 'tpl', 20));
      await store.createAssignment(assignment('a1', 'tpl', 10));
      await store.createAssignment(assignment('a3', 'other', 5));
      await store.addCopy(copy('c2', 'a1', 200));
      await store.addCopy(copy('c1', 'a1', 100));
      await store.addCopy(copy('c3', 'a2', 300));
      await store.noteEdit('c1', 500);
      await store.noteEdit('c1', 400); // never moves back
      store = await harness.reopen();
      expect(await store.getAssignment('a1')).toEqual(assignment('a1', 'tpl', 10));
      expect(await store.getAssignment('nope')).toBeNull();
      const { files: _f, ...a1 } = assignment('a1', 'tpl', 10);
      const { files: _g, ...a2 } = assignment('a2', 'tpl', 20);
      expect(await store.listAssignments('tpl')).toEqual([a1, a2]);
      expect((await store.listCopies('a1')).map((c) => [c.roomId, c.lastEditAt])).toEqual([
        ['c1', 500],
        ['c2', null],
      ]);
      expect(await store.findCopy('c3')).toEqual(copy('c3', 'a2', 300));
      expect(await store.findCopy('tpl')).toBeNull();
    });
  });
}
