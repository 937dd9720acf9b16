/**
 * A stand-in contender for the bench's process tests: it listens on nothing, says so in the line
 * ServerProcess waits for, and holds its event loop for BUSY_MS once, when the bench first starts watching its loop
 * (SAFE-170), as an attack would.
 */
const busyMs = Number(process.env.BUSY_MS ?? 300);

let blocked = false;
process.on('message', (msg: { type?: string }) => {
  if (msg?.type !== 'loop-delay-start' || blocked) return;
  blocked = true;
  // After the watch's first samples (the preload answers the start after three of them).
  setTimeout(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      // the stall the watch must see
    }
  }, 100);
});

console.log('busy listening on 0');
// Kept alive until the test stops it.
setInterval(() => {}, 1000);
