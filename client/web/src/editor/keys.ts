/** Keyboard shortcuts for reviewing Spark's work, in CodeMirror key notation and as shown to people. */
export const reviewKeys = {
  accept: 'Alt-y',
  reject: 'Alt-n',
  next: 'Alt-]',
  previous: 'Alt-[',
  stop: 'Alt-.',
} as const;

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** "Alt-y" -> "Alt+Y" (or "⌥Y" on a Mac). */
export function keyLabel(key: string): string {
  const parts = key.split('-');
  const last = parts.pop() ?? '';
  const mods = parts.map((m) => {
    if (!isMac) return `${m === 'Mod' ? 'Ctrl' : m}+`;
    return ({ Alt: '⌥', Mod: '⌘', Shift: '⇧', Ctrl: '⌃' } as Record<string, string>)[m] ?? m;
  });
  return mods.join('') + last.toUpperCase();
}
