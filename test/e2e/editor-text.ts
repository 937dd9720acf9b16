import type { Page } from 'playwright-core';

/** The editor's text as people read it (remote carets and Spark's widgets left out). */
export function editorText(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const content = document.querySelector('.cm-content');
    if (!content) return null;
    const clone = content.cloneNode(true) as HTMLElement;
    for (const w of clone.querySelectorAll('.cm-remote-caret, .cm-widgetBuffer, .cm-spark-insert-point'))
      w.remove();
    return [...clone.querySelectorAll('.cm-line')].map((l) => l.textContent ?? '').join('\n');
  });
}
