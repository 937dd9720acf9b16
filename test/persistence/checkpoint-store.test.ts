import { MemoryCheckpointStore } from '../../server/suggestions/memory-checkpoint-store.ts';
import { memoryHarness, pgHarness, sqliteHarness } from '../helpers/store-harness.ts';
import { checkpointStoreContract } from './checkpoint-store.contract.ts';

checkpointStoreContract('memory', async () => memoryHarness(new MemoryCheckpointStore()));
checkpointStoreContract('sqlite', async () => sqliteHarness('checkpointStore'));
checkpointStoreContract('postgres', async () => pgHarness('checkpointStore'));
