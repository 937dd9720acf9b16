import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import type { AttributionRecord, SuggestionStore } from './suggestion-store.ts';

/**
 * Writes to the room's code in one server transaction and attributes every character it inserted to
 * `userId` (an attribution row of kind `human` over the server's clientID range the write used), so
 * blame names the person the server wrote for (restore, replace across files, reverting an entry). `label`
 * is stored in the row's suggestion id column and says what the text came from.
 */
export async function writeForPerson(
  room: Room,
  attribution: Pick<SuggestionStore, 'addAttribution'>,
  write: {
    userId: string;
    label: string;
    origin: TransactionOrigin;
    at: number;
    apply: (files: Y.Map<Y.Text>) => void;
  },
): Promise<void> {
  const code = room.code;
  const client = code.doc.clientID;
  const clockBefore = Y.getState(code.doc.store, client);
  code.transact((doc) => write.apply(doc.getMap<Y.Text>(CODE_FILES_KEY)), write.origin);
  const clockAfter = Y.getState(code.doc.store, client);
  if (clockAfter <= clockBefore) return;
  const row: AttributionRecord = {
    docName: code.name,
    client,
    clock: clockBefore,
    length: clockAfter - clockBefore,
    suggestionId: write.label,
    runId: '',
    requestedBy: write.userId,
    acceptedBy: write.userId,
    at: write.at,
    kind: 'human',
  };
  await attribution.addAttribution([row]);
}
