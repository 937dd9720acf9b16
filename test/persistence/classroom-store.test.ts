import { MemoryClassroomStore } from '../../server/classroom/classroom-store.ts';
import { memoryHarness, pgHarness, sqliteHarness } from '../helpers/store-harness.ts';
import { classroomStoreContract } from './classroom-store.contract.ts';

classroomStoreContract('memory', async () => memoryHarness(new MemoryClassroomStore()));
classroomStoreContract('sqlite', async () => sqliteHarness('classroomStore'));
classroomStoreContract('postgres', async () => pgHarness('classroomStore'));
