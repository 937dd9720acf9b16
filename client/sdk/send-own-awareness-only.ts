import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { WebsocketProvider } from 'y-websocket';

/** y-websocket's message type for awareness frames (the first varint of the frame). */
const MESSAGE_AWARENESS = 1;

/**
 * Makes a y-websocket provider publish only this client's own awareness state, at most once per
 * `minIntervalMs` (the latest state wins).
 *
 * Why: the stock provider re-sends every awareness change it applies, including other people's states it
 * has just received. The Sparkroom server binds every clientID to one person (docs/design.md section 4) and
 * rate-limits awareness per socket, so echoing others' states gets a socket closed as an identity
 * mismatch or a flood, and a fast mouse drag alone can pass the per-second limit. Returns the undo.
 */
export function sendOwnAwarenessOnly(provider: WebsocketProvider, minIntervalMs = 50): () => void {
  const awareness = provider.awareness;
  const own = awareness.clientID;
  awareness.off('update', provider._awarenessUpdateHandler);

  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastSent = 0;
  const send = () => {
    timer = null;
    lastSent = Date.now();
    const ws = provider.ws;
    if (!provider.wsconnected || !ws || ws.readyState !== 1) return; // the provider re-sends on open
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, [own]));
    ws.send(encoding.toUint8Array(encoder));
  };
  const onUpdate = (change: { added: number[]; updated: number[]; removed: number[] }) => {
    const mine = change.added.includes(own) || change.updated.includes(own) || change.removed.includes(own);
    if (!mine || timer !== null) return;
    const wait = minIntervalMs - (Date.now() - lastSent);
    // Leaving (state removed) must go out now: there may be no later turn of the event loop.
    if (wait <= 0 || change.removed.includes(own)) send();
    else timer = setTimeout(send, wait);
  };
  awareness.on('update', onUpdate);
  return () => {
    awareness.off('update', onUpdate);
    if (timer !== null) clearTimeout(timer);
  };
}
