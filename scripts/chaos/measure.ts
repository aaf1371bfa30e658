/**
 * What one scenario measured, kept apart from the I/O so the arithmetic is unit tested: which
 * events were sent and decided (and how often), latencies by phase and lane, the lag timeline.
 */

export type Phase = 'warmup' | 'before' | 'during' | 'recovering' | 'after';

interface Sent {
  at: number;
  phase: Phase;
  priority: boolean;
  /** The broker acknowledged the send. */
  ok: boolean;
}

export interface Percentiles {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50Ms: null, p99Ms: null };
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number);
  return { count: s.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}

export class DecisionLedger {
  readonly #sent = new Map<string, Sent>();
  /** eventId -> distinct message ids carrying a decision for it. */
  readonly #decisions = new Map<string, Set<string>>();
  readonly #latency = new Map<string, number>();
  readonly #fallbacks = new Set<string>();
  #decidedSent = 0;

  sent(eventId: string, at: number, phase: Phase, priority: boolean): void {
    this.#sent.set(eventId, { at, phase, priority, ok: false });
  }

  acked(eventId: string): void {
    const s = this.#sent.get(eventId);
    if (s !== undefined) s.ok = true;
  }

  /**
   * A decision arrived (the same message delivered twice is one decision). `at` undefined: seen
   * only when the topic was read back at the end, so no latency is recorded for it.
   */
  decided(eventId: string, messageId: string, at: number | undefined, fallback: boolean): void {
    let ids = this.#decisions.get(eventId);
    if (ids === undefined) {
      ids = new Set();
      this.#decisions.set(eventId, ids);
      const s = this.#sent.get(eventId);
      if (s !== undefined) {
        if (at !== undefined) this.#latency.set(eventId, at - s.at);
        this.#decidedSent++;
      }
    }
    ids.add(messageId);
    if (fallback) this.#fallbacks.add(eventId);
  }

  /** Sent events without a decision yet. */
  get lag(): number {
    return this.#sent.size - this.#decidedSent;
  }

  get sentCount(): number {
    return this.#sent.size;
  }

  /** Events the broker acknowledged that never got a decision. */
  lost(): string[] {
    return [...this.#sent].filter(([id, s]) => s.ok && !this.#decisions.has(id)).map(([id]) => id);
  }

  /** Events decided more than once (distinct output messages). */
  duplicated(): string[] {
    return [...this.#decisions].filter(([, ids]) => ids.size > 1).map(([id]) => id);
  }

  /** Every acknowledged event decided? */
  complete(): boolean {
    for (const [id, s] of this.#sent) if (s.ok && !this.#decisions.has(id)) return false;
    return true;
  }

  unacked(): number {
    let n = 0;
    for (const s of this.#sent.values()) if (!s.ok) n++;
    return n;
  }

  fallbacks(phase?: Phase): number {
    let n = 0;
    for (const id of this.#fallbacks) if (phase === undefined || this.#sent.get(id)?.phase === phase) n++;
    return n;
  }

  latency(phase: Phase, lane?: 'priority' | 'normal'): Percentiles {
    const xs: number[] = [];
    for (const [id, ms] of this.#latency) {
      const s = this.#sent.get(id) as Sent;
      if (s.phase !== phase) continue;
      if (lane !== undefined && s.priority !== (lane === 'priority')) continue;
      xs.push(ms);
    }
    return percentiles(xs);
  }
}

/** The first time at or after `from` that the lag was at or below `threshold`, or undefined. */
export function recoveredAt(timeline: ReadonlyArray<{ at: number; lag: number }>, from: number, threshold: number): number | undefined {
  return timeline.find((s) => s.at >= from && s.lag <= threshold)?.at;
}
