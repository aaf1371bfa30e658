/**
 * Transaction coordinator failover: this file starts its own broker (`txn-failover`, offset 140 by default: testBrokerOffset(40)),
 * opens a transaction and sends in it, then restarts the broker (on its kept data) while the
 * transaction is open. commit() starts while the broker is still down; the coordinator client
 * re-looks-up and reconnects (TC_CLIENT_CONNECT again), retries END_TXN until the recovered
 * coordinator answers, and the committed messages become visible, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Message, type PulsarClient } from '@beamline/pulsar';
import { startBroker, stopBroker, type BrokerInfo } from '../../local-broker/index.ts';
import { testBrokerOffset } from '../support/pulsar-env.ts';

const NAME = 'txn-failover';
const OFFSET = testBrokerOffset(40);
const log = (line: string): void => void process.stderr.write(`[pulsar ${NAME}] ${line}\n`);

let broker: BrokerInfo;
let client: PulsarClient | undefined;

beforeAll(async () => {
  broker = await startBroker({ name: NAME, offset: OFFSET, log });
}, 180_000);

afterAll(async () => {
  await client?.close();
  await stopBroker(NAME);
}, 60_000);

describe('transaction coordinator failover', () => {
  it('commits a transaction across a broker restart by reconnecting to the coordinator and retrying', async () => {
    // The retry budget (operationTimeoutMs) covers the restart.
    client = createClient({ serviceUrl: broker.serviceUrl, operationTimeoutMs: 150_000, initialBackoffMs: 200, maxBackoffMs: 2000 });
    const topic = `persistent://public/default/txn-failover-${Date.now().toString(36)}`;
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, sendTimeoutMs: 0 });
    const txn = await client.newTransaction({ timeoutMs: 300_000 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => producer.send(`t-${i}`, { txn })));

    await stopBroker(NAME);
    const committed = txn.commit();
    committed.catch(() => undefined); // awaited below, after the restart
    broker = await startBroker({ name: NAME, offset: OFFSET, keepData: true, log });
    await committed;
    expect(txn.state).toBe('committed');

    const got: Message[] = [];
    for (let i = 0; i < 10; i++) got.push(await consumer.receive(60_000));
    expect(got.map((m) => m.payload.toString()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t-${i}`).sort());
    for (const m of got) consumer.ack(m);
    await expect(consumer.receive(2_000)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
    await Promise.all([producer.close(), consumer.close()]);
  }, 300_000);
});
