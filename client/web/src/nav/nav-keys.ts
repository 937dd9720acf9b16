export interface NavKeyActions {
  quickOpen(): void;
  goToLine(): void;
  goToSymbol(): void;
  /** false while the feature is not there, so the key is left alone */
  searchFiles?(): boolean;
  /** Ctrl+Shift+H: search with the replace field open */
  replaceFiles?(): void;
}

/** Which navigation shortcut a key event is, if any (Ctrl on Linux/Windows, Cmd or Ctrl on a Mac). */
export function navKeyOf(e: KeyboardEvent): 'quick-open' | 'line' | 'symbol' | 'search' | 'replace' | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  const key = e.code.startsWith('Key') ? e.code.slice(3).toLowerCase() : e.key.toLowerCase();
  if (key === 'p' && !e.shiftKey) return 'quick-open';
  if (key === 'g' && !e.shiftKey) return 'line';
  if (key === 'o' && e.shiftKey) return 'symbol';
  if (key === 'f' && e.shiftKey) return 'search';
  if (key === 'h' && e.shiftKey) return 'replace';
  return null;
}

/**
 * Page-wide navigation keys (NAV-1). They listen in the capture phase so they win over the editor's
 * keymap (CodeMirror binds Ctrl+G to "find next") and over the browser's own Ctrl+P (print).
 */
export function navKeys(target: Document, actions: NavKeyActions): () => void {
  const onKey = (e: KeyboardEvent) => {
    const which = navKeyOf(e);
    if (!which) return;
    if (which === 'search' && !actions.searchFiles?.()) return;
    if (which === 'replace') {
      if (!actions.replaceFiles) return;
      actions.replaceFiles();
    }
    if (which === 'quick-open') actions.quickOpen();
    else if (which === 'line') actions.goToLine();
    else if (which === 'symbol') actions.goToSymbol();
    e.preventDefault();
    e.stopPropagation();
  };
  target.addEventListener('keydown', onKey, { capture: true });
  return () => target.removeEventListener('keydown', onKey, { capture: true });
}
