/**
 * Page init script (one WebSocket wrapper for both of the browser scenario's splits): notes when each sync
 * update frame (`[0, 2, ...]`) of the code doc leaves the page (`codeFrames.sent`) or arrives at it
 * (`codeFrames.received`, before the provider handles it), for a keystroke's hops (keystroke-hops.ts); and
 * when each review-doc update frame arrives, with the ordinal markers (`s` and 7 digits) found whole in its
 * bytes (a Yjs update writes inserted text as plain UTF-8; a marker split between two frames is found in
 * neither and left out), for a streamed token's hops (stream-hops.ts). Self-contained: Playwright sends its
 * source to the page.
 */
export function logSyncFrames(): void {
  const w = globalThis as unknown as {
    codeFrames: { sent: number[]; received: number[] };
    reviewFrames: Array<[number, number[]]>;
  };
  w.codeFrames = { sent: [], received: [] };
  w.reviewFrames = [];
  const Native = WebSocket;
  const latin1 = new TextDecoder('latin1');
  const ordinal = /s(\d{7})/g;
  const updateBytes = (data: unknown): Uint8Array | null => {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : null;
    return bytes !== null && bytes[0] === 0 && bytes[1] === 2 ? bytes : null;
  };
  class Logged extends Native {
    private readonly review: boolean;
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.review = String(url).includes('/review');
      this.addEventListener('message', (e) => {
        const at = performance.timeOrigin + performance.now();
        const bytes = updateBytes(e.data);
        if (bytes === null) return;
        if (!this.review) {
          w.codeFrames.received.push(at);
          return;
        }
        const ordinals: number[] = [];
        for (const m of latin1.decode(bytes).matchAll(ordinal)) ordinals.push(Number(m[1]));
        if (ordinals.length > 0) w.reviewFrames.push([at, ordinals]);
      });
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      if (!this.review && updateBytes(data) !== null)
        w.codeFrames.sent.push(performance.timeOrigin + performance.now());
      super.send(data);
    }
  }
  (globalThis as unknown as { WebSocket: unknown }).WebSocket = Logged;
}
