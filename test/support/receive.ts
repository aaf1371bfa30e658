/** Receiving helpers shared by the integration tests (any consumer with `receive(timeoutMs)`). */
import { expect } from 'vitest';
import type { Message, PulsarClientApi } from '@beamline/pulsar';

export interface Receiver {
  receive(timeoutMs?: number): Promise<Message>;
}

/** The next `n` messages, each within `timeoutMs`. */
export async function receiveN(c: Receiver, n: number, timeoutMs = 10_000): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) out.push(await c.receive(timeoutMs));
  return out;
}

/**
 * Messages until `n` arrived, waiting up to `deadlineMs` in all (a condition, never "no message
 * for a while means done": on a loaded machine a dispatch can pause for seconds). Acks each when
 * `ack` is given. On the deadline it fails naming how many of `n` came.
 */
export async function receiveCount(
  c: Receiver,
  n: number,
  opts: { deadlineMs?: number; ack?: (m: Message) => void } = {},
): Promise<Message[]> {
  const end = Date.now() + (opts.deadlineMs ?? 30_000);
  const out: Message[] = [];
  while (out.length < n) {
    const left = end - Date.now();
    let m: Message;
    try {
      m = await c.receive(Math.max(1, left));
    } catch (err) {
      throw new Error(`received ${out.length} of ${n} messages (${out.map((x) => x.payload.toString()).join(', ')}) before the deadline`, {
        cause: err,
      });
    }
    out.push(m);
    opts.ack?.(m);
  }
  return out;
}

/**
 * Takes messages (calling `each` on every one) until `done()` holds or `deadlineMs` passed, then,
 * when `quietMs` is given, whatever else arrives until `quietMs` pass with nothing: that tail only
 * serves checks that something did NOT come (duplicates, acked messages). The caller asserts on
 * what it collected; a deadline reached just ends the wait.
 */
export async function receiveUntil(
  c: Receiver,
  each: (m: Message) => void,
  done: () => boolean,
  opts: { deadlineMs?: number; quietMs?: number } = {},
): Promise<void> {
  const end = Date.now() + (opts.deadlineMs ?? 30_000);
  while (!done() && Date.now() < end) {
    let m: Message;
    try {
      m = await c.receive(Math.max(1, Math.min(1000, end - Date.now())));
    } catch (err) {
      if ((err as { code?: string }).code === 'BL_PULSAR_TIMEOUT') continue;
      throw err;
    }
    each(m);
  }
  if (opts.quietMs === undefined) return;
  for (;;) {
    let m: Message;
    try {
      m = await c.receive(opts.quietMs);
    } catch (err) {
      if ((err as { code?: string }).code === 'BL_PULSAR_TIMEOUT') return;
      throw err;
    }
    each(m);
  }
}

/**
 * Nothing more arrives within `ms`. Only for asserting absence: a slow machine can make it pass
 * when it should not, never fail when it should pass.
 */
export async function expectNothing(c: Receiver, ms = 1500): Promise<void> {
  await expect(c.receive(ms)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
}

/**
 * Send `n` keyed messages (`p-<i>`, key `key-<i>`) to a topic with `partitions` partitions, receive
 * them all and assert every payload arrived and every partition carried some; acks them.
 */
export async function roundTripKeyedAcrossPartitions(
  client: PulsarClientApi,
  topic: string,
  n: number,
  partitions: number,
): Promise<Message[]> {
  const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
  const producer = await client.createProducer({ topic, batching: false });
  await Promise.all(Array.from({ length: n }, (_, i) => producer.send({ payload: `p-${i}`, key: `key-${i}` })));
  const got = await receiveN(consumer, n);
  expect(got.map((m) => m.payload.toString()).sort()).toEqual(Array.from({ length: n }, (_, i) => `p-${i}`).sort());
  expect(new Set(got.map((m) => m.topic)).size).toBe(partitions);
  for (const m of got) consumer.ack(m);
  return got;
}
