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
  /**
   * Watermark when it arrived (null before the first event), in Beamline's convention: the
   * highest event time seen minus maxOutOfOrdernessMs. Flink's watermark for the same input is
   * 1 ms lower; both drop the same events.
   */
  readonly watermarkMs: number | null;
}

/**
 * The dead-letter reason of a late event, naming Beamline's watermark convention so that users
 * comparing the number with Flink's are not misled.
 */
export function lateEventReason(eventTimeMs: number, watermarkMs: number | null, reason: LateReason): string {
  if (reason === 'invalid-event-time') return `event time ${String(eventTimeMs)} is not a finite number of milliseconds (${reason})`;
  return (
    `event time ${eventTimeMs} is too late: every window it belongs to ended at or before watermark ${String(watermarkMs)} ` +
    `minus the allowed lateness (${reason}; Beamline's watermark is the highest event time seen minus ` +
    `maxOutOfOrdernessMs, 1 ms above Flink's for the same input, with the same windows firing and dropping)`
  );
}

export interface WindowOutput<T = unknown, R = unknown> {
  readonly results: WindowResult<R>[];
  readonly late: LateEvent<T>[];
}
