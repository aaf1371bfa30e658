/**
 * A real broker restart in the middle of a produce/consume run: this file starts its own broker
 * (`restart`, offset 130 by default: testBrokerOffset(30)), stops it while our producer and consumer are busy, and starts it again
 * on the kept data. Both reconnect by themselves; no acknowledged send is lost and every produced
 * message is delivered (at least once: without broker de-duplication a resend may repeat).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Message, type PulsarClient } from '@beamline/pulsar';
import { startBroker, stopBroker, type BrokerInfo } from '../../local-broker/index.ts';
import { testBrokerOffset } from '../support/pulsar-env.ts';

const NAME = 'restart';
const OFFSET = testBrokerOffset(30);
const log = (line: string): void => void process.stderr.write(`[pulsar ${NAME}] ${line}\n`);

let broker: BrokerInfo;
let client: PulsarClient | undefined;

beforeAll(async () => {
  // A run killed mid-way may have left this file's broker behind.
  await stopBroker(NAME);
  broker = await startBroker({ name: NAME, offset: OFFSET, log });
}, 180_000);

afterAll(async () => {
  await client?.close();
  await stopBroker(NAME);
}, 60_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('broker restart during a produce/consume run', () => {
  it('reconnects producer and consumer, loses no acknowledged message and delivers every produced one', async () => {
    client = createClient({ serviceUrl: broker.serviceUrl, operationTimeoutMs: 10_000, initialBackoffMs: 100, maxBackoffMs: 1000 });
    const topic = `persistent://public/default/restart-${Date.now().toString(36)}`;
    const consumer = await client.subscribe({ topic, subscription: 'restart', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, name: 'restart-producer', batchingMaxDelayMs: 5, sendTimeoutMs: 120_000 });

    // Consume continuously, acking everything, across the restart.
    const received = new Map<string, number>();
    let consuming = true;
    const consumeLoop = (async () => {
      while (consuming) {
        let m: Message;
        try {
          m = await consumer.receive(500);
        } catch {
          continue;
        }
        received.set(m.payload.toString(), (received.get(m.payload.toString()) ?? 0) + 1);
        consumer.ack(m);
      }
    })();

    // Produce continuously (one message every 5 ms) across the restart.
    const acked = new Set<string>();
    const failures: unknown[] = [];
    const sends: Promise<void>[] = [];
    let producing = true;
    let n = 0;
    const produceLoop = (async () => {
      while (producing) {
        const payload = `m-${n++}`;
        sends.push(
          producer.send(payload).then(
            () => void acked.add(payload),
            (err: unknown) => void failures.push(err),
          ),
        );
        await sleep(5);
      }
    })();

    await sleep(1500);
    const ackedBeforeStop = new Set(acked);
    expect(ackedBeforeStop.size).toBeGreaterThan(50);
    await stopBroker(NAME);
    const sentWhileDown = n;
    const t0 = Date.now();
    broker = await startBroker({ name: NAME, offset: OFFSET, keepData: true, log });
    log(`restarted on kept data in ${Date.now() - t0} ms`);
    // Sends kept coming while the broker was away: they waited in the producer, not the test.
    expect(n - sentWhileDown).toBeGreaterThan(100);
    // Keep going until the producer's sends are acknowledged again, then a little more.
    for (let i = 0; i < 600 && !acked.has(`m-${sentWhileDown}`); i++) await sleep(100);
    await sleep(1000);
    producing = false;
    await produceLoop;
    await Promise.all(sends);
    expect(failures).toEqual([]);
    expect(acked.size).toBe(n);
    expect(producer.partitionProducers[0]?.state).toBe('ready');

    // Every produced message arrives (the consumer reconnected by itself too).
    for (let i = 0; i < 600 && [...acked].some((p) => !received.has(p)); i++) await sleep(100);
    consuming = false;
    await consumeLoop;
    const missing = [...acked].filter((p) => !received.has(p));
    expect(missing).toEqual([]);
    for (const p of ackedBeforeStop) expect(received.has(p)).toBe(true);
    // Nothing that was never produced shows up.
    for (const p of received.keys()) expect(acked.has(p)).toBe(true);
    expect(consumer.topicConsumers[0]?.state).toBe('ready');
    log(`produced ${n}, distinct received ${received.size}, duplicates ${[...received.values()].filter((c) => c > 1).length}`);
    await Promise.all([producer.close(), consumer.close()]);
  });
});
