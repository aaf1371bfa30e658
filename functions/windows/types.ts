import type { WindowBounds } from './assigners.ts';

/** What a window operator consumes. */
export interface WindowEvent<T = unknown> {
  readonly key: string;
  readonly eventTimeMs: number;
  readonly value: T;
}

/**
 * One emission of one window. `on-time`: the watermark passed the window's end. `late`: a late
 * (but allowed) event updated an already complete window; this result supersedes earlier ones
 * for the same key and bounds.
 */
export interface WindowResult<R = unknown> {
  readonly key: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly value: R;
  /** Events aggregated into this window so far. */
  readonly count: number;
  readonly trigger: 'on-time' | 'late';
  /**
   * Sessions only: earlier emitted sessions of this key that were merged into this one; drop
   * them downstream. Absent when nothing is superseded.
   */
  readonly replaces?: readonly WindowBounds[];
}

export type LateReason = 'beyond-allowed-lateness' | 'invalid-event-time';

/** An event no window accepted (the late side output). */
export interface LateEvent<T = unknown> {
  readonly event: WindowEvent<T>;
  readonly reason: LateReason;
  /** Watermark when it arrived (null before the first event). */
  readonly watermarkMs: number | null;
}

export interface WindowOutput<T = unknown, R = unknown> {
  readonly results: WindowResult<R>[];
  readonly late: LateEvent<T>[];
}
