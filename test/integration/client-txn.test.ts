/**
 * Transactions in Beamline's client against the real broker (transactions enabled): committed
 * sends become visible, aborted ones never; an aborted transactional ack brings the message
 * back; consume-transform-produce commits input acks and outputs together; conflicts and
 * misuse surface as typed BL_PULSAR_TXN_* errors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BeamlineError } from '../../functions/errors.ts';
import type { Message } from '@beamline/pulsar';
import { cleanupTopics, createPartitionedTopic, newClient, topicName } from './client-support.ts';
import { receiveN, expectNothing } from '../support/receive.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

describe('transactions on a real broker', () => {
  it('makes committed sends visible and never shows aborted ones, across partitions', async () => {
    const topic = topicName('txn-vis');
    await createPartitionedTopic(topic, 3);
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic });

    const aborted = await client.newTransaction({ timeoutMs: 30_000 });
    expect(aborted.state).toBe('open');
    await Promise.all(Array.from({ length: 9 }, (_, i) => producer.send({ payload: `aborted-${i}`, key: `k${i}` }, { txn: aborted })));
    const committed = await client.newTransaction({ timeoutMs: 30_000 });
    await Promise.all(Array.from({ length: 9 }, (_, i) => producer.send({ payload: `committed-${i}`, key: `k${i}` }, { txn: committed })));

    // Nothing is visible before the commit.
    await expectNothing(consumer, 1000);
    await aborted.abort();
    expect(aborted.state).toBe('aborted');
    await committed.commit();
    expect(committed.state).toBe('committed');

    const got = await receiveN(consumer, 9);
    expect(got.map((m) => m.payload.toString()).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `committed-${i}`).sort());
    for (const m of got) consumer.ack(m);
    await expectNothing(consumer);
    await producer.close();
    await consumer.close();
  });

  it('redelivers a message whose transactional ack was aborted; a committed one stays acked', async () => {
    const topic = topicName('txn-ack');
    const producer = await client.createProducer({ topic, batching: false });
    const consumer = await client.subscribe({ topic, subscription: 's', subscriptionType: 'Shared', initialPosition: 'Earliest' });
    await producer.send('a');
    await producer.send('b');
    const [a, b] = (await receiveN(consumer, 2)) as [Message, Message];

    const t1 = await client.newTransaction();
    await consumer.ack(a, { txn: t1 });
    await consumer.ack(b, { txn: t1 });
    await t1.abort();
    const again = await receiveN(consumer, 2);
    expect(again.map((m) => m.payload.toString()).sort()).toEqual(['a', 'b']);

    const t2 = await client.newTransaction();
    for (const m of again) await consumer.ack(m, { txn: t2 });
    await t2.commit();
    await consumer.close();
    // A fresh consumer on the subscription gets nothing: both acks were committed.
    const c2 = await client.subscribe({ topic, subscription: 's', subscriptionType: 'Shared' });
    await expectNothing(c2);
    await c2.close();
    await producer.close();
  });

  it('commits input acks and outputs together (consume-transform-produce), and rolls both back on abort', async () => {
    const input = topicName('txn-in');
    const output = topicName('txn-out');
    const inProducer = await client.createProducer({ topic: input });
    await Promise.all(Array.from({ length: 20 }, (_, i) => inProducer.send(`in-${i}`)));
    const consumer = await client.subscribe({ topic: input, subscription: 'worker', initialPosition: 'Earliest' });
    const outProducer = await client.createProducer({ topic: output });
    const reader = await client.subscribe({ topic: output, subscription: 'check', initialPosition: 'Earliest' });

    // First attempt on the first 10: aborted, so neither the outputs nor the acks count.
    const first = await receiveN(consumer, 10);
    const bad = await client.newTransaction();
    for (const m of first) {
      void outProducer.send(`out-${m.payload.toString()}`, { txn: bad });
      void consumer.ack(m, { txn: bad });
    }
    await bad.abort();
    await expectNothing(reader, 1000);

    // The aborted inputs come again; process all 20 in two committed transactions.
    const seen = new Set<string>();
    while (seen.size < 20) {
      const batch = await receiveN(consumer, 10);
      const txn = await client.newTransaction();
      for (const m of batch) {
        seen.add(m.payload.toString());
        void outProducer.send(`out-${m.payload.toString()}`, { txn });
        void consumer.ack(m, { txn });
      }
      await txn.commit();
    }
    const outs = await receiveN(reader, 20);
    expect(outs.map((m) => m.payload.toString()).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `out-in-${i}`).sort());
    await expectNothing(reader);
    await consumer.close();
    const again = await client.subscribe({ topic: input, subscription: 'worker' });
    await expectNothing(again);
    await Promise.all([again.close(), reader.close(), inProducer.close(), outProducer.close()]);
  });

  it('rejects an ack of a message already acked in another open transaction as a conflict', async () => {
    const topic = topicName('txn-conflict');
    const producer = await client.createProducer({ topic, batching: false });
    const consumer = await client.subscribe({ topic, subscription: 's', subscriptionType: 'Shared', initialPosition: 'Earliest' });
    await producer.send('x');
    const m = await consumer.receive(10_000);
    const t1 = await client.newTransaction();
    const t2 = await client.newTransaction();
    await consumer.ack(m, { txn: t1 });
    const err = await consumer.ack(m, { txn: t2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe('BL_PULSAR_TXN_CONFLICT');
    // The failed ack turns t2's commit into an abort with a typed error.
    await expect(t2.commit()).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_OPERATION_FAILED' });
    expect(t2.state).toBe('aborted');
    await t1.commit();
    await Promise.all([consumer.close(), producer.close()]);
  });

  it('refuses operations on an ended transaction and commits at most once', async () => {
    const topic = topicName('txn-state');
    const producer = await client.createProducer({ topic });
    const txn = await client.newTransaction();
    await txn.commit();
    await txn.commit(); // idempotent
    await expect(producer.send('late', { txn })).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_INVALID_STATUS' });
    await expect(txn.abort()).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_INVALID_STATUS' });
    await producer.close();
  });
});
