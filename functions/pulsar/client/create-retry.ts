/**
 * The first SUBSCRIBE or PRODUCER of a consumer or producer. A broker that was just restarted,
 * or is loading or unloading the topic, answers with retriable errors for a while (ServiceNotReady,
 * PersistenceError "Not enough non-faulty bookies", TooManyRequests, a dropped connection): the
 * attempt is repeated with backoff until the client's operation timeout, as the Java client does
 * until its subscribe and producer-create deadlines, so a consumer created seconds after a broker
 * restart does not fail its caller. Anything else (authorization, an incompatible schema, a busy
 * exclusive consumer or producer, a missing topic) fails at once.
 */
import { isRetriable } from '../../errors.ts';
import type { Logger } from '../../telemetry.ts';
import { Backoff } from '../../backoff.ts';
import type { ClientContext } from './context.ts';

export interface CreateAttempt {
  /** One SUBSCRIBE / PRODUCER round trip; rejects with the broker's (or the connection's) error. */
  attempt(): Promise<void>;
  /**
   * True when a reconnect loop already owns the object (the connection closed under the
   * attempt): the loop retries on its own, so creation returns the object still connecting.
   */
  reconnecting(): boolean;
}

export async function createWithRetry(ctx: ClientContext, log: Logger, what: CreateAttempt): Promise<void> {
  const deadline = ctx.clock.monotonic() + ctx.operationTimeoutMs;
  const backoff = new Backoff(ctx.initialBackoffMs, ctx.maxBackoffMs);
  for (let tries = 1; ; tries++) {
    try {
      await what.attempt();
      return;
    } catch (err) {
      if (!isRetriable(err)) throw err;
      if (what.reconnecting()) return;
      const delayMs = backoff.next();
      if (ctx.clock.monotonic() + delayMs >= deadline) throw err;
      log.warn({ err: (err as Error).message, tries, delayMs }, 'create attempt failed, retrying');
      await ctx.clock.sleep(delayMs);
    }
  }
}
