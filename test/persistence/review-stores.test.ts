import { MemoryThreadStore } from '../../server/review/thread-store.ts';
import { memoryHarness, sqliteHarness } from '../helpers/store-harness.ts';
import { threadStoreContract } from './thread-store.contract.ts';

threadStoreContract('memory', async () => memoryHarness(new MemoryThreadStore()));
threadStoreContract('sqlite', async () => sqliteHarness('threadStore'));
