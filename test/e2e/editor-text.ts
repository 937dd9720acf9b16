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

/**
 * The whole text of the editor's document, including what its window leaves undrawn (a big file shows only
 * the lines in view): read through the view CodeMirror keeps on its content element.
 */
export function editorDocument(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const content = document.querySelector('.cm-content') as
      | (Element & { cmTile?: { view?: { state: { doc: { toString(): string } } } } })
      | null;
    return content?.cmTile?.view?.state.doc.toString() ?? null;
  });
}
