/**
 * Attribute sets that many spans share, sent to the exporter once (#22).
 *
 * Most of a recorded span's attributes are the same for every span of its kind in a worker
 * (messaging.system, the destination, the subscription, the operation): written into each span's
 * JSON they were half its bytes, and writing that JSON is the largest cost tracing puts on the
 * worker's event loop. A caller marks such a set by freezing it (`Object.freeze`: it can no
 * longer change, so sending it once is safe); the tracer gives it a number, the record carries
 * the number, and the exporter receives the set itself once, before the first record that uses
 * it. Unfrozen attributes travel inline, as before.
 *
 * Bounded: a caller that froze a fresh object per span would otherwise grow the table on both
 * sides without end, so after MAX_SETS sets new ones travel inline.
 */
import type { Attributes } from '@opentelemetry/api';

/** Distinct shared sets numbered per tracer; later ones travel inline. */
export const MAX_SETS = 1024;

/** Sets, in number order, that the exporter has not received yet. */
export type SetDefinitions = ReadonlyArray<readonly [number, Attributes]>;

export class AttributeSets {
  readonly #ids = new WeakMap<object, number>();
  readonly #sets: Attributes[] = [];
  /** The first set number not handed to the exporter yet. */
  #sent = 0;

  /** The number of a frozen set (numbered on first sight); undefined when it travels inline. */
  idOf(attributes: Attributes | undefined): number | undefined {
    if (attributes === undefined || !Object.isFrozen(attributes)) return undefined;
    const known = this.#ids.get(attributes);
    if (known !== undefined) return known;
    if (this.#sets.length >= MAX_SETS) return undefined;
    const id = this.#sets.length;
    this.#sets.push(attributes);
    this.#ids.set(attributes, id);
    return id;
  }

  /** Set `id` (for an exporter in this thread). */
  get(id: number): Attributes | undefined {
    return this.#sets[id];
  }

  /** The sets numbered since the last call: what a record posted from now on may refer to. */
  takeNew(): SetDefinitions {
    if (this.#sent === this.#sets.length) return [];
    const fresh = this.#sets.slice(this.#sent).map((a, i) => [this.#sent + i, a] as const);
    this.#sent = this.#sets.length;
    return fresh;
  }
}

/** A set's attributes with a span's own on top (the own ones win). */
export function withShared(shared: Attributes | undefined, own: Attributes): Attributes {
  if (shared === undefined) return own;
  for (const _ in own) return { ...shared, ...own };
  return shared;
}
