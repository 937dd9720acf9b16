/** A changed stretch of a file: `fromA..toA` of the base became `fromB..toB` of the current text. */
export interface ChangedStretch {
  fromA: number;
  toA: number;
  fromB: number;
  toB: number;
}

/**
 * Where an offset of the base text is in the current text (CR-22): unchanged text maps to the same text
 * now; an offset inside a stretch the change replaced or removed maps to the start of what replaced it,
 * the place those lines were removed from. `stretches` are in order and do not overlap (the chunks of
 * @codemirror/merge).
 */
export function baseToCurrent(stretches: readonly ChangedStretch[], posA: number): number {
  let delta = 0;
  for (const c of stretches) {
    if (posA < c.fromA) break;
    if (posA < c.toA) return c.fromB;
    delta = c.toB - c.toA;
  }
  return posA + delta;
}
