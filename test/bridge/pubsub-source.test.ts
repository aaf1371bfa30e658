/** PubsubSource against in-memory fakes: redelivered copies and a predecessor's sends still landing (#24). */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BeamlineError, FakeClock } from '../../functions/index.ts';
import type { Message } from '../../functions/control-plane.ts';
import { PUBSUB_ID_PROPERTY, PubsubSource, type PubsubSourceDeps } from '../../bridge/index.ts';

const TOPIC = 'persistent://acme/central/events';
const PRODUCER = 'beamline-bridge-acme-cards';

interface FakeMessage {
  id: string;
  orderingKey: string;
  attributes: Record<string, string>;
  data: Buffer;
  publishTime: Date;
  acked: number;
  ack(): void;
}

function pubsubMessage(id: string): FakeMessage {
  return {
    id,
    orderingKey: 'k',
    attributes: {},
    data: Buffer.from('{}'),
    publishTime: new Date(0),
    acked: 0,
    ack() {
      this.acked++;
    },
  };
}

function written(seq: number, pubsubId: string): Message {
  return { producerName: PRODUCER, sequenceId: seq, topic: TOPIC, properties: { [PUBSUB_ID_PROPERTY]: pubsubId } } as unknown as Message;
}

/** Deps whose reader first serves `persisted`, then `landing` one by one (then times out). */
function fakes(opts: { lastSequenceId: number; persisted?: Message[]; landing?: Message[]; clock: FakeClock }) {
  const persisted = [...(opts.persisted ?? [])];
  const landing = [...(opts.landing ?? [])];
  const sends: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const producers: string[] = [];
  const subscription = Object.assign(new EventEmitter(), { close: async () => undefined });
  const deps = {
    admin: { schemas: { get: async () => null }, topics: { setDeduplication: async () => undefined } },
    client: {
      createProducer: async (o: { topic: string }) => (
        producers.push(o.topic),
        {
          partitionProducers: [{ topic: TOPIC, lastSequenceId: opts.lastSequenceId }],
          send: () => new Promise<void>((resolve, reject) => sends.push({ resolve, reject })),
          close: async () => undefined,
        }
      ),
      createReader: async () => ({
        hasMessageAvailable: async () => persisted.length > 0,
        readNext: async (timeoutMs: number) => {
          const m = persisted.shift() ?? landing.shift();
          if (m !== undefined) return m;
          opts.clock.advance(timeoutMs);
          throw new BeamlineError('BL_PULSAR_TIMEOUT', 'read next timed out', { retriable: true });
        },
        close: async () => undefined,
      }),
    },
    pubsub: { subscription: () => subscription },
    clock: opts.clock,
  } as unknown as PubsubSourceDeps;
  return { deps, sends, subscription, producers };
}

const options = { subscription: 'projects/acme/subscriptions/cards', to: 'acme/central/events', recoverySettleMs: 5_000 };

describe('PubsubSource', () => {
  it('sends a message redelivered during its own send once, and acks both copies when it is persisted', async () => {
    const clock = new FakeClock();
    const { deps, sends, subscription } = fakes({ lastSequenceId: -1, clock });
    const source = new PubsubSource(options, deps);
    await source.start();
    const first = pubsubMessage('m1');
    const copy = pubsubMessage('m1');
    subscription.emit('message', first);
    subscription.emit('message', copy);
    expect(sends).toHaveLength(1);
    expect([first.acked, copy.acked]).toEqual([0, 0]);
    sends[0]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect([first.acked, copy.acked]).toEqual([1, 1]);
    expect(source.stats).toMatchObject({ produced: 1, duplicatesSkipped: 1 });
    subscription.emit('message', pubsubMessage('m1'));
    expect(sends).toHaveLength(1);
  });

  it('creates one dead-letter producer for dead letters that come at once', async () => {
    const clock = new FakeClock();
    const { deps, sends, subscription, producers } = fakes({ lastSequenceId: -1, clock });
    const source = new PubsubSource(options, deps);
    await source.start();
    const a = { ...pubsubMessage('a'), orderingKey: '' };
    const b = { ...pubsubMessage('b'), orderingKey: '' };
    subscription.emit('message', a);
    subscription.emit('message', b);
    for (let i = 0; i < 10 && sends.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(producers).toEqual(['persistent://acme/central/events', 'persistent://acme/central/dead-letter']);
    sends.forEach((x) => x.resolve());
    for (let i = 0; i < 10 && source.stats.deadLettered < 2; i++) await new Promise((r) => setImmediate(r));
    expect(source.stats).toMatchObject({ deadLettered: 2 });
    expect(source.state).toBe('running');
  });

  it("waits at start for a killed predecessor's last send the broker counted but had not persisted", async () => {
    const clock = new FakeClock();
    const { deps, sends, subscription } = fakes({ lastSequenceId: 7, persisted: [written(6, 'p6')], landing: [written(7, 'p7')], clock });
    const source = new PubsubSource(options, deps);
    await source.start();
    expect(source.stats).toMatchObject({ recoveredIds: 2, recoveredLate: 1 });
    const redelivered = pubsubMessage('p7');
    subscription.emit('message', redelivered);
    expect(sends).toHaveLength(0);
    expect(redelivered.acked).toBe(1);
  });

  it('fails the start (retriable) when that send does not appear within recoverySettleMs', async () => {
    const clock = new FakeClock();
    const { deps } = fakes({ lastSequenceId: 9, persisted: [written(6, 'p6')], clock });
    const err = await new PubsubSource(options, deps).start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BeamlineError);
    expect(err).toMatchObject({ code: 'BL_BRIDGE_RECOVERY_FAILED', retriable: true });
    expect(String((err as Error).message)).toMatch(/sequence ids 9.*recoverySettleMs 5000/);
  });

  it('does not wait long when the window holds none of its messages (last send older than the window)', async () => {
    const clock = new FakeClock();
    const { deps } = fakes({ lastSequenceId: 9, clock });
    const started = clock.now();
    await new PubsubSource(options, deps).start();
    expect(clock.now() - started).toBeLessThanOrEqual(2_000);
  });
});
