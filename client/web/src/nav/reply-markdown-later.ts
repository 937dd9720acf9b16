/**
 * PERF-155: Spark's Markdown renderer (markdown-it with its entity tables and link lists, DOMPurify) is a
 * chunk of its own, loaded the first time a reply is drawn. In the room page's chunk it was a sixth of the
 * bytes and about a third of the time the chunk's code took to evaluate, which the invite page spends while
 * the person types a name and the server loads the room (the join's critical path on a 2-core machine),
 * and a room without replies never needed it.
 */
type Render = typeof import('./reply-markdown.ts').renderReply;

let render: Render | null = null;
/** the renderer's chunk has been asked for (and has not failed) */
let asked = false;
/** the reply each element should show once the renderer is in: only the newest text is drawn */
const waiting = new Map<HTMLElement, string>();

/**
 * Renders `markdown` into `into` as Spark's reply. Once the renderer is in this is synchronous (a streamed
 * reply is drawn every frame); before, the text is shown as plain text and drawn as Markdown when it arrives.
 */
export function renderReplyLater(into: HTMLElement, markdown: string): void {
  if (render) {
    render(into, markdown);
    return;
  }
  into.textContent = markdown;
  waiting.set(into, markdown);
  if (asked) return;
  asked = true;
  import('./reply-markdown.ts').then(
    (m) => {
      render = m.renderReply;
      for (const [el, text] of waiting) render(el, text);
      waiting.clear();
    },
    (err: unknown) => {
      // the replies stay plain text; the next one asks again
      console.warn('loading the reply renderer failed', err);
      asked = false;
    },
  );
}
