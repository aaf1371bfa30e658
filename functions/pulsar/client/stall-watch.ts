/**
 * Notices a consumer the broker has stopped dispatching to although the topic holds entries it
 * never delivered and the consumer still has FLOW permits, and asks the broker to redeliver.
 *
 * Why: Pulsar 4.0.x brokers can leave a subscription's read armed on the cursor while the cursor is
 * no longer registered for new-entry notifications (`waitingReadOp: true`, `waitingCursorsCount: 0`
 * in the topic's internal stats). From then on nothing reaches the consumer until it reconnects or
 * asks for a redelivery, while the broker reports it connected with all its permits. Seen on this
 * project's broker (4.0.7) for Exclusive and Key_Shared subscriptions when the first entries of a
 * new topic were written right after the subscription was created on a loaded machine: 4-8 of 120
 * keyed round trips lost a whole partition for good (#14). apache/pulsar#26174 fixed one path to
 * that state in 4.0.13 and names others it left open, so the client guards against it rather than
 * trust one broker version.
 *
 * How: while a consumer has received nothing for `intervalMs` but holds permits at the broker, it
 * asks GET_LAST_MESSAGE_ID. An entry beyond both what it received and the subscription's
 * mark-delete position, with nothing arriving meanwhile, means the broker holds something it
 * does not send: the consumer sends REDELIVER_UNACKNOWLEDGED_MESSAGES, which cancels the stale
 * read and starts a new one (a rewind for Exclusive/Failover). Costs one small request per idle
 * consumer per interval; nothing while messages flow.
 */
import type { Clock, TimerHandle } from '../../clock.ts';
import type { Logger } from '../../telemetry.ts';
import type { MessageId } from '../wire/index.ts';

export interface StallProbe {
  /** Ready, not paused or seeking, and FLOW permits left at the broker. */
  canReceive(): boolean;
  /** The broker's last entry of the topic and the subscription's mark-delete position. */
  lastEntry(): Promise<{ last: MessageId; markDelete: MessageId | undefined }>;
  /** The last message this consumer received since it subscribed, if any. */
  lastReceived(): MessageId | undefined;
  /** Ask the broker to dispatch again. */
  redeliver(): void;
}

export class StallWatch {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #probe: StallProbe;
  readonly #log: Logger;
  #timer: TimerHandle | undefined;
  #lastActivity: number;
  #checking = false;
  #stopped = true;
  /** Redeliveries asked for because of a stall (for tests and logs). */
  recoveries = 0;

  constructor(clock: Clock, intervalMs: number, probe: StallProbe, log: Logger) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#probe = probe;
    this.#log = log;
    this.#lastActivity = clock.monotonic();
  }

  /** Start (or keep) watching; 0 ms disables the watch. Idempotent. */
  start(): void {
    if (this.#intervalMs <= 0) return;
    this.#lastActivity = this.#clock.monotonic();
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  /** Something arrived from the broker. */
  activity(): void {
    this.#lastActivity = this.#clock.monotonic();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => void this.#tick(), this.#intervalMs);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    try {
      if (!this.#checking && this.#clock.monotonic() - this.#lastActivity >= this.#intervalMs && this.#probe.canReceive()) {
        this.#checking = true;
        await this.#check();
      }
    } catch (err) {
      // A failed probe (connection lost, timeout) proves nothing; the reconnect path owns that.
      this.#log.debug({ err: (err as Error).message }, 'stall probe failed');
    } finally {
      this.#checking = false;
      this.#schedule();
    }
  }

  async #check(): Promise<void> {
    const asked = this.#clock.monotonic();
    const { last, markDelete } = await this.#probe.lastEntry();
    if (this.#stopped || this.#lastActivity > asked || !this.#probe.canReceive()) return;
    if (last.entryId < 0n) return;
    const received = this.#probe.lastReceived();
    if (received !== undefined && !entryAfter(last, received)) return;
    if (markDelete !== undefined && !entryAfter(last, markDelete)) return;
    this.recoveries++;
    this.#log.warn({ last: last.toString(), received: received?.toString(), idleMs: asked - this.#lastActivity }, 'broker holds undelivered entries for an idle consumer; asking for redelivery');
    this.#probe.redeliver();
  }
}

/** `a` is a later entry than `b` (batch index ignored: any message of an entry means it came). */
function entryAfter(a: MessageId, b: MessageId): boolean {
  return a.ledgerId > b.ledgerId || (a.ledgerId === b.ledgerId && a.entryId > b.entryId);
}
