import type { EditorView } from '@codemirror/view';

/**
 * WEB-118: a streaming card's text, drawn outside CodeMirror's contenteditable root. Chromium keeps editing
 * state for a focused editable (caret, selection, text input) and redoes that work over the root whenever
 * the DOM inside it changes: a proposal growing inside `.cm-content` made a focused editor's page pay about
 * 1.5x the main-thread time of an unfocused one for the same stream (`bench/focused-editable-cpu.ts`). So
 * while Spark streams, the card in the editor keeps a slot (`.cm-spark-slot`) where the text goes, and the
 * text itself is an absolutely positioned block in this layer, a child of the scroller beside the content
 * (as CodeMirror's own layers for cursors and selections), placed over its slot.
 *
 * The slot's height follows the text's: the same reserved lines (WEB-112, the same CSS from the same
 * variable, written by the stream on both, so a step moves the code below in the same layout), and the
 * text's measured height when it is taller (a wrapped line). Where the slot is, and the text's height, are
 * read in CodeMirror's measure phase, after each editor update and each streamed frame; a write that changes
 * a slot's height asks for another measure, in which CodeMirror reads its new height (the line numbers below
 * it move in the same frame) and the texts are placed again.
 */
interface Layered {
  layer: Layer;
  slot: HTMLElement;
  text: HTMLElement;
  /** what was last written, so an unchanged frame writes nothing */
  height: number;
  place: string;
}

interface Layer {
  dom: HTMLElement;
  items: Set<Layered>;
  measure: { read: (view: EditorView) => Reading; write: (r: Reading, view: EditorView) => void };
}

interface Reading {
  items: { item: Layered; height: number; place: string }[];
}

const layers = new WeakMap<EditorView, Layer>();

function layerOf(view: EditorView): Layer {
  const layer = layers.get(view);
  if (layer && layer.dom.parentNode === view.scrollDOM) return layer;
  const dom = document.createElement('div');
  dom.className = 'cm-spark-layer';
  view.scrollDOM.append(dom);
  const items = layer?.items ?? new Set<Layered>();
  for (const item of items) dom.append(item.text);
  const made: Layer = {
    dom,
    items,
    measure: {
      read: (v) => read(v, items),
      // A new width can wrap a text to another height, and a new slot height moves the slots below it:
      // read again (CodeMirror measures its content first, so its height map follows in this frame).
      write: (r, v) => {
        if (write(r)) v.requestMeasure(made.measure);
      },
    },
  };
  for (const item of items) item.layer = made;
  layers.set(view, made);
  return made;
}

function read(view: EditorView, items: Set<Layered>): Reading {
  const scroller = view.scrollDOM;
  const box = scroller.getBoundingClientRect();
  const originX = box.left + scroller.clientLeft - scroller.scrollLeft;
  const originY = box.top + scroller.clientTop - scroller.scrollTop;
  const out: Reading['items'] = [];
  for (const item of items) {
    if (!item.slot.isConnected) continue;
    const at = item.slot.getBoundingClientRect();
    out.push({
      item,
      height: item.text.getBoundingClientRect().height,
      place: `${at.left - originX}/${at.top - originY}/${at.width}`,
    });
  }
  return { items: out };
}

/** Places the texts and sizes the slots as read; did anything move? */
function write(reading: Reading): boolean {
  let moved = false;
  for (const { item, height, place } of reading.items) {
    if (place !== item.place) {
      const [left, top, width] = place.split('/');
      item.text.style.left = `${left}px`;
      item.text.style.top = `${top}px`;
      item.text.style.width = `${width}px`;
      item.place = place;
      moved = true;
    }
    if (Math.abs(height - item.height) >= 0.5) {
      item.slot.style.height = `${height}px`;
      item.height = height;
      moved = true;
    }
  }
  return moved;
}

/** Draws `text` in `view`'s layer over `slot` (a block in a card inside the editor), until `unlayer`. */
export function layerText(view: EditorView, slot: HTMLElement, text: HTMLElement): Layered {
  const layer = layerOf(view);
  const item: Layered = { layer, slot, text, height: -1, place: '' };
  layer.items.add(item);
  layer.dom.append(text);
  view.requestMeasure(layer.measure);
  return item;
}

/** The text goes back to its card, in place of its slot (a stream that ended and keeps its text as drawn). */
export function unlayerText(item: Layered, intoSlot: boolean): void {
  item.layer.items.delete(item);
  const style = item.text.style;
  style.removeProperty('left');
  style.removeProperty('top');
  style.removeProperty('width');
  if (intoSlot && item.slot.isConnected) item.slot.replaceWith(item.text);
  else item.text.remove();
}

/** Places the layered texts of `view` again (after an update or a streamed frame), in its measure phase. */
export function placeLayered(view: EditorView): void {
  if ((layers.get(view)?.items.size ?? 0) > 0) view.requestMeasure(layerOf(view).measure);
}

export type { Layered };
