/** The colour theme (WEB-43): the system's setting unless the person chose one; the choice is remembered. */
export type ThemeChoice = 'auto' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const KEY = 'sparkroom.theme';
const listeners = new Set<(theme: Theme) => void>();
let media: MediaQueryList | null = null;

export function themeChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'auto';
  } catch {
    return 'auto';
  }
}

/** The theme in effect: the choice, or the system's setting under `auto`. */
export function currentTheme(): Theme {
  const choice = themeChoice();
  if (choice !== 'auto') return choice;
  return (media ?? matchMedia('(prefers-color-scheme: dark)')).matches ? 'dark' : 'light';
}

function apply(): void {
  const theme = currentTheme();
  document.documentElement.dataset.theme = theme;
  document.documentElement.dataset.themeChoice = themeChoice();
  for (const fn of listeners) fn(theme);
}

/** Sets the theme before the first paint and follows the system setting while the choice is `auto`. */
export function initTheme(): void {
  media = matchMedia('(prefers-color-scheme: dark)');
  media.addEventListener('change', apply);
  apply();
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'auto') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Storage refused (a private window): the choice lasts for this page.
  }
  apply();
}

/** Auto -> light -> dark -> auto: the toggle's order. */
export function nextChoice(choice: ThemeChoice): ThemeChoice {
  return choice === 'auto' ? 'light' : choice === 'light' ? 'dark' : 'auto';
}

export function onThemeChange(fn: (theme: Theme) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export const themeLabels: Record<ThemeChoice, { text: string; title: string }> = {
  auto: { text: '◐ Auto', title: 'Theme: follows your system setting (click for light)' },
  light: { text: '☀ Light', title: 'Theme: light (click for dark)' },
  dark: { text: '☾ Dark', title: 'Theme: dark (click to follow your system setting)' },
};

/** The topbar's theme toggle (WEB-43): its label follows the choice, a click moves to the next one. */
export function bindThemeButton(button: HTMLButtonElement): () => void {
  const render = () => {
    const label = themeLabels[themeChoice()];
    button.textContent = label.text;
    button.title = label.title;
    button.setAttribute('aria-label', label.title);
  };
  button.addEventListener('click', () => setThemeChoice(nextChoice(themeChoice())));
  render();
  return onThemeChange(render);
}
