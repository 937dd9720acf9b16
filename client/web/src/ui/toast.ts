import { h } from './dom.ts';

export type ToastKind = 'info' | 'success' | 'error';

let host: HTMLElement | null = null;

/** A short message in the corner; errors stay longer. Text only (never HTML from the network). */
export function toast(message: string, kind: ToastKind = 'info'): void {
  if (!host) {
    host = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(host);
  }
  const item = h('div', { class: `toast toast-${kind}` }, message);
  host.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 3500);
}
