type Child = Node | string | null | undefined | false;
type Attrs = {
  class?: string;
  on?: { [K in keyof HTMLElementEventMap]?: (e: HTMLElementEventMap[K]) => void };
  style?: Partial<CSSStyleDeclaration> | string;
  dataset?: Record<string, string>;
} & Record<string, unknown>;

/**
 * A small hyperscript: `h('button', {class: 'primary', on: {click}}, 'Go')`. Attributes that are DOM
 * properties (value, disabled, title...) are set as properties; the rest as attributes.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = String(value);
      else if (key === 'on') {
        for (const [event, fn] of Object.entries(value as Record<string, EventListener>))
          node.addEventListener(event, fn);
      } else if (key === 'style') {
        if (typeof value === 'string') node.setAttribute('style', value);
        else Object.assign(node.style, value);
      } else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key in node) (node as unknown as Record<string, unknown>)[key] = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Replaces all children of `parent`. */
export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(
    ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
  );
}

/**
 * Makes `nodes` the children of `parent`, in this order, leaving those already there where they are: a node
 * taken out and put back loses a press in progress (no click follows) and the focus. Nodes already in
 * `parent` that `nodes` keeps in the same relative order are never moved.
 */
export function placeInOrder(parent: Element, nodes: readonly Node[]): void {
  const keep = new Set(nodes);
  for (const child of [...parent.childNodes]) if (!keep.has(child)) child.remove();
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(node, cursor);
  }
}

/** Copies text to the clipboard; falls back to selecting a temporary field where the API is blocked. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const field = h('textarea', { value: text, style: 'position:fixed;opacity:0' });
    document.body.append(field);
    field.select();
    document.execCommand('copy');
    field.remove();
  }
}
