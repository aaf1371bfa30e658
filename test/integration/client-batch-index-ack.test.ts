/**
 * Batch-index acknowledgements against a broker with acknowledgmentAtBatchIndexLevelEnabled=true
 * (every broker our scripts start): acking some messages of a batch, then closing and
 * subscribing again, gives back exactly the unacknowledged ones, round after round. With
 * batchIndexAckEnabled: false the broker only learns of whole entries, so the whole batch comes back.
 * batchIndexAckEnabled defaults to true (see ConsumerOptions in functions/pulsar/api/options.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MessageId, type ConsumerOptions, type Message } from '@beamline/pulsar';
import { cleanupTopics, newClient, topicName } from './client-support.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

/** Ten messages in ONE batch entry. */
async function produceOneBatch(topic: string): Promise<void> {
  const producer = await client.createProducer({ topic, batchingMaxMessages: 10, batchingMaxDelayMs: 5000 });
  const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => producer.send(`m${i}`)));
  expect(new Set(ids.map((id) => `${id.ledgerId}:${id.entryId}`)).size).toBe(1);
  expect(ids.map((id) => id.batchIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await producer.close();
}

/** Subscribe, take everything the broker gives within a quiet period, ack `ackIndexes`, close. */
async function round(opts: ConsumerOptions, ackIndexes: readonly number[]): Promise<number[]> {
  const c = await client.subscribe(opts);
  const got: Message[] = [];
  for (;;) {
    try {
      got.push(await c.receive(got.length === 0 ? 10_000 : 1500));
    } catch {
      break;
    }
  }
  for (const m of got) if (ackIndexes.includes(m.id.batchIndex)) c.ack(m);
  await c.close();
  return got.map((m) => m.id.batchIndex);
}

describe('batch-index acknowledgements', () => {
  it('with batch-index acks (the default), closing and resubscribing gives back exactly the unacked members of a batch', async () => {
    const topic = topicName('batch-index-ack');
    await produceOneBatch(topic);
    const opts: ConsumerOptions = { topic, subscription: 's', subscriptionType: 'Shared', initialPosition: 'Earliest' };
    expect(await round(opts, [0, 3, 7])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await round(opts, [5])).toEqual([1, 2, 4, 5, 6, 8, 9]);
    expect(await round(opts, [1, 2, 4, 6, 8, 9])).toEqual([1, 2, 4, 6, 8, 9]);
    // Every member acked: the entry itself is acknowledged, nothing comes back.
    const c = await client.subscribe(opts);
    await expect(c.receive(1500)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
    await c.close();
  });

  it('with batchIndexAckEnabled: false, a partly acked batch comes back whole after a resubscribe', async () => {
    const topic = topicName('batch-entry-ack');
    await produceOneBatch(topic);
    const opts: ConsumerOptions = { topic, subscription: 's', initialPosition: 'Earliest', batchIndexAckEnabled: false };
    expect(await round(opts, [0, 3, 7])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await round(opts, [])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('acks with a receipt resolve once the broker has them, also for ids of an earlier session (the Pub/Sub sink ledger, #24)', async () => {
    const topic = topicName('batch-ack-receipt');
    await produceOneBatch(topic);
    const opts: ConsumerOptions = { topic, subscription: 's', subscriptionType: 'Failover', initialPosition: 'Earliest' };
    // Session 1 receives the batch and keeps the ids as bytes (what the sink carries to Pub/Sub).
    const first = await client.subscribe(opts);
    const saved: Buffer[] = [];
    for (let i = 0; i < 10; i++) saved.push((await first.receive(10_000)).id.toBytes());
    await first.close();
    // Session 2 acks members 0, 3 and 7 by those ids, with receipts, then goes away without any flush.
    const second = await client.subscribe(opts);
    await Promise.all([0, 3, 7].map((i) => second.ack(MessageId.fromBytes(saved[i]!), { receipt: true })));
    await second.close();
    expect(await round(opts, [])).toEqual([1, 2, 4, 5, 6, 8, 9]);
  });
});
