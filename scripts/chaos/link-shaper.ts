/**
 * When each chunk of one direction of a proxied TCP connection may be delivered: added latency,
 * jitter and a bandwidth limit. Pure arithmetic (times come in, times go out) so it is unit
 * tested without sockets. TCP never reorders, so a chunk is never delivered before the one in
 * front of it, whatever its own jitter says.
 */

export interface LinkFaults {
  /** Added one-way delay per chunk. @default 0 */
  readonly latencyMs: number;
  /** Each chunk's delay varies uniformly within latencyMs ± jitterMs (never below 0). @default 0 */
  readonly jitterMs: number;
  /** Bytes per second through this direction; 0 = unlimited. @default 0 */
  readonly bandwidthBytesPerSec: number;
}

export const NO_FAULTS: LinkFaults = Object.freeze({ latencyMs: 0, jitterMs: 0, bandwidthBytesPerSec: 0 });

/** Throws a clear error naming the field when a fault setting is not usable. */
export function compileLinkFaults(f: Partial<LinkFaults>, base: LinkFaults = NO_FAULTS): LinkFaults {
  const out = { ...base, ...f };
  for (const [field, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`chaos proxy: ${field} = ${String(v)} is not usable; give a number >= 0`);
    }
  }
  return Object.freeze(out);
}

export class LinkShaper {
  #lastDeliverAt = 0;
  #wireFreeAt = 0;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The time (same unit as `now`, ms) at which a chunk of `bytes` arriving at `now` may leave. */
  deliverAt(now: number, bytes: number, f: LinkFaults): number {
    let at = now + Math.max(0, f.latencyMs + (this.#random() * 2 - 1) * f.jitterMs);
    if (f.bandwidthBytesPerSec > 0) {
      // The chunk occupies the wire for bytes/bandwidth after the previous one has left it.
      this.#wireFreeAt = Math.max(this.#wireFreeAt, now) + (bytes / f.bandwidthBytesPerSec) * 1000;
      at = Math.max(at, this.#wireFreeAt);
    }
    at = Math.max(at, this.#lastDeliverAt);
    this.#lastDeliverAt = at;
    return at;
  }
}
