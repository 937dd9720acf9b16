import type { Fixture } from './edit-parser-events.ts';
import { applyPatchFixtures } from './edit-parser-fixtures-apply-patch.ts';
import { realModelFixtures } from './edit-parser-fixtures-real-models.ts';
import { searchReplaceFixtures } from './edit-parser-fixtures-search-replace.ts';

/**
 * The edit parser's table: model output and the events it must give, whatever the chunking. Shared by
 * the chunk-boundary, one-character and random-split tests in edit-parser.test.ts.
 */
export const fixtures: Fixture[] = [...applyPatchFixtures, ...searchReplaceFixtures, ...realModelFixtures];
