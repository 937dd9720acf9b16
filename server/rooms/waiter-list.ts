/**
 * PERF-121: a list of functions many rooms hold alike (the services' review-doc waiters: each service
 * registers the same method at every room's load), kept once for every room that registered the same
 * functions in the same order, instead of a copy per room. A list never changes: the list with one function
 * more hangs off the shorter one by that function, weakly, so a list made with a closure of one room's goes
 * when that closure does.
 */
export class WaiterList<F extends object> {
  readonly fns: readonly F[];
  #longer: WeakMap<F, WaiterList<F>> | null = null;

  private constructor(fns: readonly F[]) {
    this.fns = fns;
  }

  /** The empty list of a kind: the root every room's list grows from. */
  static root<F extends object>(): WaiterList<F> {
    return new WaiterList<F>([]);
  }

  /** This list with `fn` after its functions: the same object for every caller that asks for it. */
  with(fn: F): WaiterList<F> {
    this.#longer ??= new WeakMap();
    let longer = this.#longer.get(fn);
    if (longer === undefined) {
      longer = new WaiterList([...this.fns, fn]);
      this.#longer.set(fn, longer);
    }
    return longer;
  }
}
