/**
 * A see-through version of a CSS colour for selection backgrounds. Handles the forms the server and the
 * protocol produce (`#rrggbb`, `hsl(h s% l%)`); anything else is returned as is.
 */
export function translucent(color: string, alpha: number): string {
  if (/^#[0-9a-f]{6}$/i.test(color)) {
    const byte = Math.round(Math.min(1, Math.max(0, alpha)) * 255);
    return `${color}${byte.toString(16).padStart(2, '0')}`;
  }
  const hsl = /^hsla?\(([^)/]+)\)$/i.exec(color.trim());
  if (hsl) return `hsl(${hsl[1]!.trim()} / ${alpha})`;
  return color;
}
