/**
 * Bad records through a real worker on a real broker: 1,000 malformed records (bytes that are not
 * Avro, JSON sent to an Avro topic, Avro written with another schema, values the handler rejects)
 * mixed into 3,000 valid ones. Every bad record reaches `dead-letter` with its reason, original
 * payload and message id; every valid record gives exactly its expected output; the worker stays
 * 'running' throughout. A second case rejects records inside a window reducer that has already
 * changed its accumulator: the window sums must count exactly the valid records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeamlineError, type EventRecord, type HandlerContext } from '../../functions/index.ts';
import { compileKeyring, newKeyringDocument, openDeadLetter, silentLogger, type DeadLetterRecord } from '../../functions/control-plane.ts';
import { avroSchema } from '../../functions/pulsar/index.ts';
import { startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import type { WindowResult } from '../../functions/windows/index.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, parse, readAll, topic, waitFor } from './worker-support.ts';

interface Payment {
  card: string;
  amount: number;
}

const PAYMENT = {
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
};
/** What a producer with an incompatible schema writes: Payment's bytes plus a field. */
const ORDER = { type: 'record', name: 'Order', fields: [...PAYMENT.fields, { name: 'currency', type: 'string' }] };

const payment = avroSchema<Payment>(PAYMENT);
const order = avroSchema<Payment & { currency: string }>(ORDER);

const VALID = 3000;
const BAD = 1000;
const CARDS = 50;

type Kind = 'valid' | 'truncated-avro' | 'json-on-avro-topic' | 'other-schema' | 'handler-rejected';
const BAD_KINDS: readonly Kind[] = ['truncated-avro', 'json-on-avro-topic', 'other-schema', 'handler-rejected'];
const REASON: Record<Kind, string> = {
  valid: '',
  'truncated-avro': 'decode-error',
  'json-on-avro-topic': 'decode-error',
  'other-schema': 'decode-error',
  'handler-rejected': 'handler-error',
};

interface Input {
  kind: Kind;
  key: string;
  payload: Buffer;
  amount: number;
}

/** A deterministic mix: VALID valid records with BAD bad ones at pseudo-random places. */
function stream(): Input[] {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const out: Input[] = [];
  let valid = 0;
  let bad = 0;
  while (valid < VALID || bad < BAD) {
    const pickBad = bad < BAD && (valid >= VALID || rand() < BAD / (VALID + BAD));
    const key = `card-${Math.floor(rand() * CARDS)}`;
    const amount = 1 + Math.floor(rand() * 100);
    if (!pickBad) {
      out.push({ kind: 'valid', key, amount, payload: payment.encode({ card: key, amount }) });
      valid++;
      continue;
    }
    const kind = BAD_KINDS[bad % BAD_KINDS.length] as Kind;
    const good = payment.encode({ card: key, amount });
    const payload =
      kind === 'truncated-avro'
        ? good.subarray(0, good.length - 1 - (bad % 5))
        : kind === 'json-on-avro-topic'
          ? Buffer.from(JSON.stringify({ card: key, amount }))
          : kind === 'other-schema'
            ? order.encode({ card: key, amount, currency: 'EUR' })
            : payment.encode({ card: key, amount: -amount });
    out.push({ kind, key, amount, payload });
    bad++;
  }
  return out;
}

/** Keeps a running total per card; refuses negative amounts. */
function countingHandler(record: EventRecord<unknown>, ctx: HandlerContext): void {
  const p = record.value as Payment;
  if (p.amount < 0) throw new BeamlineError('BL_TEST_NEGATIVE_AMOUNT', `amount must be >= 0, got ${p.amount}`);
  const prev = (ctx.state.get(p.card) as { total: number; n: number } | undefined) ?? { total: 0, n: 0 };
  const next = { total: prev.total + p.amount, n: prev.n + 1 };
  ctx.state.put(p.card, next);
  ctx.emit({ card: p.card, ...next });
}

const client = newClient();
/** #21: dead letters seal their content under the tenant key; the test opens them with it. */
const keyring = compileKeyring(newKeyringDocument('test-1'), 'test');
let tenant = '';
let running: RunningWorker | undefined;
let windowed: RunningWorker | undefined;

beforeAll(async () => {
  tenant = await createTenant('wbad');
  await createNamespace(tenant, 'ns');
  await createNamespace(tenant, 'windows');
  await admin.schemas.post(topic(tenant, 'ns', 'events'), {
    type: 'AVRO',
    data: JSON.stringify(PAYMENT),
    properties: { __alwaysAllowNull: 'true', __jsr310ConversionEnabled: 'false' },
  });
});

afterAll(async () => {
  await running?.stop();
  await windowed?.stop();
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

describe('worker with malformed records on a real broker', () => {
  it('dead-letters 1,000 bad records with reasons, processes every valid one, and stays running', async () => {
    const inputs = stream();
    running = await startWorker({
      serviceUrl: env.serviceUrl,
      adminUrl: env.adminUrl,
      ...(env.token === undefined ? {} : { token: env.token }),
      tenant,
      namespace: 'ns',
      guarantee: 'effectively-once',
      httpPort: -1,
      keyring,
      handler: { process: countingHandler },
      log: silentLogger,
    });
    const w = running.worker;

    // Published while the worker runs: bad records arrive mid-batch, not only in a backlog.
    const producer = await client.createProducer({ topic: topic(tenant, 'ns', 'events'), batchingMaxMessages: 100, batchingMaxDelayMs: 5 });
    const ids = (await Promise.all(inputs.map((i) => producer.send({ key: i.key, payload: i.payload })))).map((id) => id.toString());
    await producer.close();

    await waitFor(
      () => w.processed >= inputs.length,
      90_000,
      `the worker to commit ${inputs.length} inputs`,
      () => expect(w.state).toBe('running'),
    );
    expect(w.processed).toBe(inputs.length);

    // Every valid record, exactly once, in order per card.
    const totals = new Map<string, { total: number; n: number }>();
    const want = new Map<string, unknown[]>();
    for (const i of inputs) {
      if (i.kind !== 'valid') continue;
      const prev = totals.get(i.key) ?? { total: 0, n: 0 };
      const next = { total: prev.total + i.amount, n: prev.n + 1 };
      totals.set(i.key, next);
      want.set(i.key, [...(want.get(i.key) ?? []), { card: i.key, ...next }]);
    }
    const predictions = (await readAll(client, topic(tenant, 'ns', 'predictions'))).map(parse);
    expect(predictions).toHaveLength(VALID);
    const got = new Map<string, unknown[]>();
    for (const p of predictions) got.set(p['card'] as string, [...(got.get(p['card'] as string) ?? []), p]);
    expect(got).toEqual(want);

    // Every bad record, once, with its reason, original payload and message id.
    const dead = await readAll(client, topic(tenant, 'ns', 'dead-letter'));
    expect(dead).toHaveLength(BAD);
    const byId = new Map(dead.map((m) => [parse(m)['messageId'] as string, m]));
    expect(byId.size).toBe(BAD);
    const reasons = new Map<string, number>();
    for (const [n, i] of inputs.entries()) {
      if (i.kind === 'valid') continue;
      const m = byId.get(ids[n] as string);
      expect(m, `dead-letter entry for input #${n} (${i.kind})`).toBeDefined();
      const r = parse(m as NonNullable<typeof m>);
      expect({ n, kind: i.kind, reason: r['reason'] }).toEqual({ n, kind: i.kind, reason: REASON[i.kind] });
      expect(m?.properties['beamline.reason']).toBe(REASON[i.kind]);
      expect(m?.properties['beamline.source-message-id']).toBe(ids[n]);
      const content = openDeadLetter(r as unknown as DeadLetterRecord, keyring);
      expect(Buffer.from(content.payloadBase64, 'base64').equals(i.payload)).toBe(true);
      expect(content.key).toBe(i.key);
      expect(r['key']).toBe(i.key);
      expect(r['topic']).toBe(topic(tenant, 'ns', 'events'));
      expect(r['errorCode']).toBe(i.kind === 'handler-rejected' ? 'BL_TEST_NEGATIVE_AMOUNT' : 'BL_PULSAR_SCHEMA_DECODE');
      reasons.set(i.kind, (reasons.get(i.kind) ?? 0) + 1);
    }
    expect(Object.fromEntries(reasons)).toEqual({
      'truncated-avro': 250,
      'json-on-avro-topic': 250,
      'other-schema': 250,
      'handler-rejected': 250,
    });
    expect(w.state).toBe('running');
  });

  it('undoes the window state a rejected record half-updated: window sums count exactly the valid records', async () => {
    // A reducer that changes its accumulator in place and only then refuses the value: the
    // worker must put the window back as committed before re-running the batch without it.
    const T0 = 1_700_000_000_000;
    const SIZE = 10_000;
    const sumOfValid = {
      init: () => ({ sum: 0 }),
      add: (acc: { sum: number }, v: unknown) => {
        const p = v as Payment;
        acc.sum += p.amount;
        if (p.amount < 0) throw new BeamlineError('BL_TEST_NEGATIVE_AMOUNT', 'negative amount in a window');
        return acc;
      },
      merge: (a: { sum: number }, b: { sum: number }) => ({ sum: a.sum + b.sum }),
      result: (acc: { sum: number }) => acc.sum,
    };
    await admin.schemas.post(topic(tenant, 'windows', 'events'), {
      type: 'AVRO',
      data: JSON.stringify(PAYMENT),
      properties: { __alwaysAllowNull: 'true', __jsr310ConversionEnabled: 'false' },
    });
    windowed = await startWorker({
      serviceUrl: env.serviceUrl,
      adminUrl: env.adminUrl,
      ...(env.token === undefined ? {} : { token: env.token }),
      tenant,
      namespace: 'windows',
      guarantee: 'at-least-once',
      httpPort: -1,
      batchMaxRecords: 50,
      handler: {
        windows: { type: 'tumbling', sizeMs: SIZE, aggregate: sumOfValid },
        process: (r: EventRecord<WindowResult>, ctx: HandlerContext) =>
          ctx.emit({ key: r.value.key, startMs: r.value.startMs, sum: r.value.value, count: r.value.count }),
      },
      log: silentLogger,
    });
    // 600 events in time order over 4 keys and 10 windows; every 10th is rejected; then one
    // far-future event fires every window.
    const inputs = Array.from({ length: 600 }, (_, i) => ({
      key: `k${i % 4}`,
      t: T0 + i * 166,
      amount: i % 10 === 3 ? -1000 : 1 + (i % 7),
    }));
    const producer = await client.createProducer({
      topic: topic(tenant, 'windows', 'events'),
      batchingMaxMessages: 50,
      batchingMaxDelayMs: 5,
    });
    await Promise.all([
      ...inputs.map((e) => producer.send({ key: e.key, payload: payment.encode({ card: e.key, amount: e.amount }), eventTimeMs: e.t })),
      producer.send({ key: 'zz', payload: payment.encode({ card: 'zz', amount: 1 }), eventTimeMs: T0 + 100 * SIZE }),
    ]);
    await producer.close();
    const w = windowed.worker;
    await waitFor(
      () => w.processed >= inputs.length + 1,
      60_000,
      'the windowed worker to commit every input',
      () => expect(w.state).toBe('running'),
    );

    const want = new Map<string, { key: string; startMs: number; sum: number; count: number }>();
    for (const e of inputs) {
      if (e.amount < 0) continue;
      const startMs = Math.floor(e.t / SIZE) * SIZE;
      const id = `${e.key}@${startMs}`;
      const cur = want.get(id) ?? { key: e.key, startMs, sum: 0, count: 0 };
      want.set(id, { ...cur, sum: cur.sum + e.amount, count: cur.count + 1 });
    }
    const got = (await readAll(client, topic(tenant, 'windows', 'predictions'))).map(parse);
    const order = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
      String(a['key']).localeCompare(String(b['key'])) || Number(a['startMs']) - Number(b['startMs']);
    expect(got.sort(order)).toEqual([...want.values()].sort(order));
    const dead = (await readAll(client, topic(tenant, 'windows', 'dead-letter'))).map(parse);
    expect(dead).toHaveLength(inputs.filter((e) => e.amount < 0).length);
    expect(new Set(dead.map((d) => d['reason']))).toEqual(new Set(['handler-error']));
  });
});
