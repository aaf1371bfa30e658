/**
 * PubsubSink's ledger against in-memory fakes (#24): what a crash between "Pub/Sub accepted" and
 * "Pulsar acked" leaves behind is read back at the next start and not published again.
 *
 * The fakes: a Pulsar "broker" that delivers every message not yet acked to each new
 * subscription (acks by id, as the broker keeps them), a Pub/Sub topic that records publishes and
 * puts a copy of each into the ledger (as Pub/Sub does for every subscription), and the ledger,
 * whose copies can be leased (invisible until their ack deadline passes, as a killed sink leaves
 * the copies it had pulled).
 */
import { describe, expect, it } from 'vitest';
import { BeamlineError, FakeClock } from '../../functions/index.ts';
import { MessageId, type Message } from '../../functions/control-plane.ts';
import {
  IDEMPOTENCY_KEY_ATTRIBUTE,
  PULSAR_ID_BYTES_ATTRIBUTE,
  PULSAR_TOPIC_ATTRIBUTE,
  PubsubSink,
  idempotencyKey,
  type LedgerCopy,
  type PubsubSinkDeps,
  type SinkLedger,
} from '../../bridge/index.ts';

const TOPIC = 'persistent://acme/central/predictions';
const ACK_DEADLINE_MS = 10_000;

function message(n: number): Message {
  return {
    id: new MessageId(7n, BigInt(n), -1, -1, 0),
    topic: TOPIC,
    key: `k${n % 2}`,
    payload: Buffer.from(`m${n}`),
    properties: {},
    eventTimeMs: undefined,
  } as unknown as Message;
}

/** The copy Pub/Sub would put in the ledger for a publish of `m` by the sink. */
function copyOf(m: Message, ackId: string): LedgerCopy {
  return {
    ackId,
    attributes: {
      [PULSAR_TOPIC_ATTRIBUTE]: m.topic,
      [IDEMPOTENCY_KEY_ATTRIBUTE]: idempotencyKey(m.topic, m.id.toString()),
      [PULSAR_ID_BYTES_ATTRIBUTE]: m.id.toBytes().toString('base64'),
    },
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await turn();
  expect(cond()).toBe(true);
}

/** close(), driving the fake clock so a pending receive times out. */
async function closeSink(sink: PubsubSink, clock: FakeClock): Promise<void> {
  let done = false;
  const closing = sink.close().then(() => void (done = true));
  for (let i = 0; i < 2000 && !done; i++) {
    clock.advance(250);
    await turn();
  }
  await closing;
}

function world(
  messages: Message[],
  clock: FakeClock,
  opts: { receiptFails?: boolean; ignoreAcksOf?: number[]; deliverTwice?: boolean; holdPublishes?: Promise<void> } = {},
) {
  const acked = new Set<string>();
  const receipts: string[] = [];
  const published: string[] = [];
  const ledger: { copy: LedgerCopy; visibleAt: number; acked: boolean }[] = [];
  let subscribes = 0;
  let nextAckId = 0;
  const ackId = (id: MessageId | Message): string => (id instanceof MessageId ? id : id.id).toString();
  const ackOne = (id: MessageId | Message): void => {
    const s = ackId(id);
    const n = Number((id instanceof MessageId ? id : id.id).entryId);
    if (!(opts.ignoreAcksOf ?? []).includes(n)) acked.add(s);
  };
  const fakeLedger: SinkLedger = {
    path: 'projects/acme/subscriptions/ledger',
    open: async () => ({ ackDeadlineMs: ACK_DEADLINE_MS, created: false }),
    pull: async (max) => {
      const now = clock.now();
      const out: LedgerCopy[] = [];
      for (const e of ledger) {
        if (out.length >= max) break;
        if (e.acked || e.visibleAt > now) continue;
        e.visibleAt = now + ACK_DEADLINE_MS; // leased to this pull
        out.push(e.copy);
      }
      if (out.length === 0) {
        await turn();
        clock.advance(500); // the server waited for a message
      }
      return out;
    },
    ack: async (ids) => {
      for (const e of ledger) if (ids.includes(e.copy.ackId)) e.acked = true;
    },
  };
  const subscribe = async () => {
    subscribes++;
    const queue = messages.filter((m) => !acked.has(m.id.toString()));
    if (opts.deliverTwice === true) queue.push(...queue); // a reconnect redelivers what is unacked
    return {
      receive: (timeoutMs: number) =>
        new Promise<Message>((resolve, reject) => {
          const m = queue.shift();
          if (m !== undefined) return resolve(m);
          clock.setTimeout(() => reject(new BeamlineError('BL_PULSAR_TIMEOUT', 'receive timed out', { retriable: true })), timeoutMs);
        }),
      ack: (m: MessageId | Message, o?: { receipt?: boolean }) => {
        if (o?.receipt !== true) return void ackOne(m);
        if (opts.receiptFails === true) return Promise.reject(new BeamlineError('BL_PULSAR_CONNECTION_CLOSED', 'connection closed'));
        receipts.push(ackId(m));
        ackOne(m);
        return Promise.resolve();
      },
      close: async () => undefined,
    };
  };
  const topic = {
    publishMessage: async (p: { data: Buffer; attributes: Record<string, string> }) => {
      published.push(p.data.toString());
      await opts.holdPublishes;
      ledger.push({ copy: { ackId: `a${nextAckId++}`, attributes: p.attributes }, visibleAt: 0, acked: false });
      return `ps-${published.length}`;
    },
    resumePublishing: () => undefined,
    flush: async () => undefined,
  };
  const deps = {
    client: { subscribe, createProducer: async () => ({ send: async () => undefined, close: async () => undefined }) },
    admin: {},
    pubsub: { topic: () => topic },
    clock,
    ledger: fakeLedger,
  } as unknown as PubsubSinkDeps;
  /** A copy a previous sink published and never acked; `leasedFor` ms still invisible. */
  const leftover = (m: Message, leasedFor = 0): void =>
    void ledger.push({ copy: copyOf(m, `old${nextAckId++}`), visibleAt: clock.now() + leasedFor, acked: false });
  return { deps, acked, receipts, published, ledger, leftover, subscribes: () => subscribes };
}

const options = { from: 'acme/central/predictions', topic: 'projects/acme/topics/decisions', format: 'raw' as const };

describe('PubsubSink with its ledger', () => {
  it('does not publish again what a crashed predecessor published but never acked in Pulsar; publishes the rest once', async () => {
    const clock = new FakeClock();
    const ms = [0, 1, 2, 3].map(message);
    const w = world(ms, clock);
    // The predecessor published m0 and m1 (their copies are in the ledger, unacked) and died
    // before its Pulsar acks: the broker still has all four unacked.
    w.leftover(ms[0]!);
    w.leftover(ms[1]!, 4_000); // one it had pulled itself: leased for 4 more seconds
    const sink = new PubsubSink(options, w.deps);
    const started = clock.now();
    await sink.start();
    // It waited out the predecessor's lease, found both, and acked them in Pulsar with receipts.
    expect(clock.now() - started).toBeGreaterThanOrEqual(ACK_DEADLINE_MS);
    expect(sink.stats.recoveredIds).toBe(2);
    expect(w.receipts).toEqual([ms[0]!.id.toString(), ms[1]!.id.toString()]);
    // Subscribed again after the read-back, so the broker delivers only m2 and m3.
    expect(w.subscribes()).toBe(2);
    await until(() => w.published.length === 2);
    expect(w.published).toEqual(['m2', 'm3']);
    // The copies of m2 and m3 are settled as the sink runs: every copy ends up acked.
    await until(() => w.ledger.every((e) => e.acked));
    expect(ms.every((m) => w.acked.has(m.id.toString()))).toBe(true);
    await closeSink(sink, clock);
    expect(sink.stats).toMatchObject({ published: 2, duplicatesSkipped: 0 });
  });

  it('acks a redelivery of a message already in Pub/Sub without publishing it', async () => {
    const clock = new FakeClock();
    const ms = [0, 1].map(message);
    // The broker does not take the ack of m0 (as if it had been fetched before the ack landed).
    const w = world(ms, clock, { ignoreAcksOf: [0] });
    w.leftover(ms[0]!);
    const sink = new PubsubSink(options, w.deps);
    await sink.start();
    await until(() => w.published.length === 1 && sink.stats.duplicatesSkipped === 1);
    expect(w.published).toEqual(['m1']);
    await closeSink(sink, clock);
  });

  it('does not publish a redelivery that arrives while its first copy is still being published', async () => {
    const clock = new FakeClock();
    const ms = [0, 1].map(message);
    let release = (): void => undefined;
    const w = world(ms, clock, { deliverTwice: true, holdPublishes: new Promise<void>((r) => (release = r)) });
    const sink = new PubsubSink(options, w.deps);
    await sink.start();
    await until(() => sink.stats.received === 4);
    release();
    await until(() => sink.stats.published === 2);
    expect(w.published).toEqual(['m0', 'm1']);
    expect(sink.stats.duplicatesSkipped).toBe(2);
    await closeSink(sink, clock);
  });

  it('past maxLedgerIds forgets the oldest keys: their Pulsar messages are still acked, and only a redelivery of one is published again', async () => {
    const clock = new FakeClock();
    const ms = [0, 1, 2, 3].map(message);
    const w = world(ms, clock, { ignoreAcksOf: [0, 2] });
    for (const m of ms.slice(0, 3)) w.leftover(m);
    const sink = new PubsubSink({ ...options, maxInFlight: 1, maxLedgerIds: 2 }, w.deps);
    await sink.start();
    expect(sink.stats.recoveredIds).toBe(3);
    expect(w.receipts).toHaveLength(3);
    // m0 was forgotten (the bound is 2: m1 and m2 are remembered), so its redelivery is published
    // again; m2's is recognised; m3 was never published.
    await until(() => w.published.length === 2 && sink.stats.duplicatesSkipped === 1);
    expect(w.published).toEqual(['m0', 'm3']);
    await closeSink(sink, clock);
  });

  it('fails the start, retriable, when the Pulsar acks of recovered copies are not confirmed (and publishes nothing)', async () => {
    const clock = new FakeClock();
    const ms = [0, 1].map(message);
    const w = world(ms, clock, { receiptFails: true });
    w.leftover(ms[0]!);
    const err = await new PubsubSink(options, w.deps).start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'BL_BRIDGE_LEDGER_RECOVERY_FAILED', retriable: true });
    expect(String((err as Error).message)).toMatch(/projects\/acme\/subscriptions\/ledger: 1 Pulsar acks were not confirmed/);
    expect(w.published).toEqual([]);
    expect(w.ledger[0]!.acked).toBe(false);
  });

  it('without the ledger (ledger: false) publishes a redelivery again: at least once', async () => {
    const clock = new FakeClock();
    const ms = [0, 1].map(message);
    const w = world(ms, clock);
    w.leftover(ms[0]!);
    const sink = new PubsubSink({ ...options, ledger: false }, w.deps);
    await sink.start();
    expect(sink.ledgerPath).toBeUndefined();
    await until(() => w.published.length === 2);
    expect(w.published).toEqual(['m0', 'm1']);
    await closeSink(sink, clock);
  });
});
