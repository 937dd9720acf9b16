import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { messageType, UPDATE_PART_BYTES } from '../../schema/protocol.ts';
import { splitUpdate } from './update-parts.ts';

/**
 * Makes a y-websocket provider send every update, and its answer to the server's sync step 1, in frames of
 * at most `partBytes` of update each (SAFE-165). The stock provider sends one transaction as one frame, and
 * after a reconnect everything the server lacks as one more: a big paste, a big file saved on disk or a
 * long offline edit would pass the server's frame limit, be closed with 1009 and be sent again whole at
 * every reconnect. Parts go in order on the one socket, so each applies on top of the one before.
 * Returns the undo.
 */
export function sendUpdatesInParts(provider: WebsocketProvider, partBytes = UPDATE_PART_BYTES): () => void {
  const doc = provider.doc;
  const send = (syncType: number, update: Uint8Array) => {
    const ws = provider.ws;
    // Not connected: the server's sync step 1 at the next connection asks for what it missed.
    if (!provider.wsconnected || !ws || ws.readyState !== 1) return;
    for (const part of splitUpdate(update, partBytes)) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, messageType.sync);
      encoding.writeVarUint(encoder, syncType);
      encoding.writeVarUint8Array(encoder, part);
      ws.send(encoding.toUint8Array(encoder));
    }
  };
  const onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin !== provider) send(syncProtocol.messageYjsUpdate, update);
  };
  doc.off('update', provider._updateHandler);
  doc.on('update', onUpdate);

  const stock = provider.messageHandlers[messageType.sync];
  if (!stock) throw new Error('y-websocket provider without a sync message handler');
  /**
   * PERF-138: applies what the server sent (a joiner's whole document comes as one update, or as the step 2
   * answer) with no listener of ours on 'update': Yjs encodes every transaction again for its 'update'
   * listeners, and ours only sends this person's own changes; for a 15 MB room that encode was most of the
   * page's apply. A change of ours made during the apply (an observer writing back) puts the listener back
   * at its start, so it is sent as before.
   */
  const applyQuietly = (apply: () => void) => {
    let listening = false;
    const listen = () => {
      if (listening) return;
      listening = true;
      doc.on('update', onUpdate);
    };
    const ownChange = (tr: Y.Transaction) => {
      if (tr.origin !== provider) listen();
    };
    doc.off('update', onUpdate);
    doc.on('beforeTransaction', ownChange);
    try {
      apply();
    } finally {
      doc.off('beforeTransaction', ownChange);
      listen();
    }
  };
  provider.messageHandlers[messageType.sync] = (encoder, decoder, p, emitSynced, type) => {
    const kind = decoding.peekVarUint(decoder);
    if (kind === syncProtocol.messageYjsUpdate) {
      applyQuietly(() => stock(encoder, decoder, p, emitSynced, type));
      return;
    }
    if (kind === syncProtocol.messageYjsSyncStep2) {
      // the sync announced once the listener is back, so whatever the page writes from then on is sent
      applyQuietly(() => stock(encoder, decoder, p, false, type));
      if (emitSynced && !provider.synced) provider.synced = true;
      return;
    }
    if (kind !== syncProtocol.messageYjsSyncStep1) {
      stock(encoder, decoder, p, emitSynced, type);
      return;
    }
    decoding.readVarUint(decoder);
    const stateVector = decoding.readVarUint8Array(decoder);
    // Sent here rather than through `encoder`, which the provider sends after this returns: the parts go
    // out in order, each a step 2 answer on top of the one before (the server applies both kinds alike).
    send(syncProtocol.messageYjsSyncStep2, Y.encodeStateAsUpdate(doc, stateVector));
  };
  return () => {
    doc.off('update', onUpdate);
    doc.on('update', provider._updateHandler);
    provider.messageHandlers[messageType.sync] = stock;
  };
}
