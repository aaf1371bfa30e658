import { describe, expect, it } from 'vitest';
import { BeamlineError } from '../../../../functions/errors.ts';
import { MessageId, PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { openClient } from '../../../../functions/pulsar/index.ts';
import {
  fromNativeError,
  loadNativeModule,
  NativeIds,
  ReceiveGate,
  toNativeMessage,
  type NativeModule,
} from '../../../../functions/pulsar/native/index.ts';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('loading the addon', () => {
  it('explains how to install it when it is missing', async () => {
    const err = await loadNativeModule(() => Promise.reject(new Error("Cannot find package 'pulsar-client'"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect(err).toMatchObject({ code: 'BL_PULSAR_NATIVE_UNAVAILABLE', retriable: false });
    expect((err as Error).message).toMatch(/npm install pulsar-client.*implementation: 'beamline'/);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('refuses a module without the 1.x API, naming what is missing', async () => {
    await expect(loadNativeModule(() => Promise.resolve({ default: { Client: class {} } }))).rejects.toMatchObject({
      code: 'BL_PULSAR_NATIVE_UNAVAILABLE',
      message: expect.stringContaining('MessageId, AuthenticationToken'),
    });
  });

  it('on this machine: either loads the real addon or says it is unavailable', async () => {
    const r = await loadNativeModule().then(
      (m) => ({ ok: true as const, m }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    if (r.ok) expect(typeof r.m.Client).toBe('function');
    else expect(r.e).toMatchObject({ code: 'BL_PULSAR_NATIVE_UNAVAILABLE' });
  });

  it('openClient defaults to our client and validates implementation', async () => {
    const c = await openClient({ serviceUrl: 'pulsar://127.0.0.1:1' });
    expect(c).toBeInstanceOf(PulsarClient);
    expect(c.implementation).toBe('beamline');
    expect(c.capabilities.transactions).toBe(true);
    await c.close();
    await expect(openClient({ serviceUrl: 'pulsar://x:1', implementation: 'jni' as never })).rejects.toMatchObject({
      code: 'BL_CONFIG_INVALID',
      field: 'implementation',
    });
  });
});

describe('native errors', () => {
  it.each([
    ['Failed to receive message: TimeOut', 'BL_PULSAR_TIMEOUT', true],
    ['Failed to create producer: AuthenticationError', 'BL_PULSAR_AUTHENTICATION', false],
    ['Failed to create consumer: AuthorizationError', 'BL_PULSAR_AUTHORIZATION', false],
    ['Failed to send message: AlreadyClosed', 'BL_PULSAR_ALREADY_CLOSED', false],
    ['Failed to create consumer: ConsumerBusy', 'BL_PULSAR_CONSUMER_BUSY', false],
    ['Failed to create producer: IncompatibleSchema', 'BL_PULSAR_INCOMPATIBLE_SCHEMA', false],
    ['Failed to create producer: TopicTerminated', 'BL_PULSAR_TOPIC_TERMINATED', false],
    ['Failed to send message: ProducerQueueIsFull', 'BL_PULSAR_PRODUCER_QUEUE_FULL', true],
    ['something odd', 'BL_PULSAR_NATIVE_ERROR', false],
  ])('%s -> %s', (text, code, retriable) => {
    const original = new Error(text);
    const e = fromNativeError(original, 'op');
    expect(e).toMatchObject({ code, retriable });
    expect(e.cause).toBe(original);
    expect(e.message).toContain(text);
  });
});

describe('native ids and messages', () => {
  const fake = {
    MessageId: {
      earliest: () => ({ tag: 'earliest', serialize: () => MessageId.earliest.toBytes(), toString: () => 'e' }),
      latest: () => ({ tag: 'latest', serialize: () => MessageId.latest.toBytes(), toString: () => 'l' }),
      deserialize: (b: Buffer) => ({ tag: 'bytes', serialize: () => b, toString: () => 'x' }),
    },
  } as unknown as NativeModule;

  it('carries exact 64-bit ids both ways as MessageIdData bytes', () => {
    const ids = new NativeIds(fake);
    const id = new MessageId(2n ** 40n + 3n, 9n, 2, 4, 10);
    const back = ids.fromNativeId(ids.toNativeId(id));
    expect(back.equals(id)).toBe(true);
    expect(back.batchSize).toBe(10);
    expect((ids.toNativeId(MessageId.earliest) as unknown as { tag: string }).tag).toBe('earliest');
    expect((ids.toNativeId(MessageId.latest) as unknown as { tag: string }).tag).toBe('latest');
  });

  it('refuses what the addon cannot send instead of dropping it', () => {
    expect(() => toNativeMessage({ payload: 'x', nullValue: true })).toThrow(
      expect.objectContaining({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE' }),
    );
    expect(() => toNativeMessage({ payload: 'x', orderingKey: Buffer.from([1]) })).toThrow(
      expect.objectContaining({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE' }),
    );
    expect(toNativeMessage({ payload: 'x', key: 'k', orderingKey: 'o', eventTimeMs: 5, deliverAtMs: 9, properties: { a: 'b' } })).toEqual({
      data: Buffer.from('x'),
      partitionKey: 'k',
      orderingKey: 'o',
      eventTimestamp: 5,
      deliverAt: 9,
      properties: { a: 'b' },
    });
  });
});

describe('ReceiveGate', () => {
  it('holds calls while paused and lets them through on resume', async () => {
    const gate = new ReceiveGate();
    let calls = 0;
    gate.pause();
    const p = gate.run(async () => ++calls);
    await flush();
    expect(calls).toBe(0);
    gate.resume();
    await expect(p).resolves.toBe(1);
  });

  it('rejects waiting and in-flight calls at once on close, and every later call', async () => {
    const gate = new ReceiveGate();
    let reached = 0;
    const inFlight = gate.run(() => {
      reached++;
      return new Promise<number>(() => undefined);
    });
    await flush();
    gate.pause();
    const waiting = gate.run(async () => ++reached);
    await flush();
    gate.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'BL_PULSAR_ALREADY_CLOSED' });
    await expect(waiting).rejects.toMatchObject({ code: 'BL_PULSAR_ALREADY_CLOSED' });
    expect(reached).toBe(1);
    await expect(gate.run(async () => 2)).rejects.toMatchObject({ code: 'BL_PULSAR_ALREADY_CLOSED' });
    expect(gate.state).toBe('closed');
  });
});
