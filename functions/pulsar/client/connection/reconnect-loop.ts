/**
 * The reconnect loop shared by producers and consumers: back off, try again, stop on success,
 * on a fatal (non-retriable) error, or when the owner left the connecting state meanwhile.
 */
import type { Clock } from '../../../clock.ts';
import type { Backoff } from '../../../backoff.ts';

export interface ReconnectSteps {
  readonly clock: Clock;
  readonly backoff: Backoff;
  /** Still worth trying (the owner was not closed meanwhile). */
  connecting(): boolean;
  /** Waited for after each backoff, before the attempt (e.g. a SEEK in progress). */
  beforeAttempt?(): Promise<void> | undefined;
  attempt(): Promise<void>;
  /** True when `err` means trying again is pointless. */
  isFatal(err: unknown): boolean;
  fatal(err: unknown): void;
  reconnected(): void;
  failedAttempt(err: unknown): void;
}

export async function reconnectLoop(s: ReconnectSteps): Promise<void> {
  while (s.connecting()) {
    await s.clock.sleep(s.backoff.next());
    const wait = s.beforeAttempt?.();
    if (wait !== undefined) await wait;
    if (!s.connecting()) return;
    try {
      await s.attempt();
      s.reconnected();
      return;
    } catch (err) {
      if (s.isFatal(err)) {
        s.fatal(err);
        return;
      }
      s.failedAttempt(err);
    }
  }
}
