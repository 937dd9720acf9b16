import { MemoryBaseStore } from '../../server/review/base-store.ts';
import { MemoryThreadStore } from '../../server/review/thread-store.ts';
import { MemoryVerdictStore } from '../../server/review/verdict-store.ts';
import { memoryHarness, pgHarness, sqliteHarness } from '../helpers/store-harness.ts';
import { baseStoreContract } from './base-store.contract.ts';
import { threadStoreContract } from './thread-store.contract.ts';
import { verdictStoreContract } from './verdict-store.contract.ts';

threadStoreContract('memory', async () => memoryHarness(new MemoryThreadStore()));
threadStoreContract('sqlite', async () => sqliteHarness('threadStore'));
threadStoreContract('postgres', async () => pgHarness('threadStore'));
verdictStoreContract('memory', async () => memoryHarness(new MemoryVerdictStore()));
verdictStoreContract('sqlite', async () => sqliteHarness('verdictStore'));
verdictStoreContract('postgres', async () => pgHarness('verdictStore'));
baseStoreContract('memory', async () => memoryHarness(new MemoryBaseStore()));
baseStoreContract('sqlite', async () => sqliteHarness('baseStore'));
baseStoreContract('postgres', async () => pgHarness('baseStore'));
