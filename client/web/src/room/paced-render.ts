/** What `pacedRender` returns: a render now, a render soon, and the end of both. */
export interface PacedRender {
  /** renders at once (a policy, role or prompt change shows without delay); drops a render waiting */
  now(): void;
  /** renders in a task of its own, at most once every `everyMs` however often it is asked */
  soon(): void;
  /** drops a render waiting (the page goes) */
  cancel(): void;
}

/**
 * PERF-111: a part of the page that a Spark stream asks to redraw on every frame, drawn outside the stream's
 * frames and at most every `everyMs`. The review topic fires once per animation frame while Spark streams
 * (5,000 tokens/s draws up to 60 frames a second); the Spark panel's render (its model over every run and
 * hunk, then the run cards) took ~2 ms of each such frame, in the same task as the editor's update that
 * makes the tokens visible. `soon` never renders in the caller's task, so the frame that draws the text
 * carries none of it; the last request is always drawn.
 */
export function pacedRender(render: () => void, everyMs: number): PacedRender {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = -Infinity;
  const run = () => {
    timer = null;
    last = performance.now();
    render();
  };
  const cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return {
    now: () => {
      cancel();
      run();
    },
    soon: () => {
      if (timer !== null) return;
      timer = setTimeout(run, Math.max(0, last + everyMs - performance.now()));
    },
    cancel,
  };
}
