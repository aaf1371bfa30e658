import { describe, expect, it } from 'vitest';
import type { ProcessFn } from '../../../functions/contract.ts';
import { BeamlineError } from '../../../functions/errors.ts';
import { createPiiTokenizer, singleKeyring } from '../../../functions/governance/index.ts';
import { avroSchema, jsonSchema } from '../../../functions/pulsar/index.ts';
import {
  Ingress,
  NamespaceWorker,
  openDeadLetter,
  schemaDecoder,
  type DeadLetterRecord,
  type WorkerHandler,
} from '../../../functions/runtime/index.ts';
import { InMemoryWorkerIo } from '../../../functions/runtime/testing/index.ts';

interface Payment {
  card: string;
  amount: number;
}

const schema = jsonSchema<Payment>({
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
});

const pay = (card: string, amount: number, eventTimeMs = 1_000): { key: string; payload: Buffer; eventTimeMs: number } => ({
  key: card,
  payload: Buffer.from(JSON.stringify({ card, amount })),
  eventTimeMs,
});

/** Counts payments per card in state and emits the running total. */
/** A per-record handler (the union of handler shapes needs the function typed). */
const proc = (process: ProcessFn<Payment>): WorkerHandler<Payment> => ({ process });

const counting = proc((record, ctx) => {
  const key = record.key ?? '';
  const total = ((ctx.state.get(key) as number | undefined) ?? 0) + record.value.amount;
  ctx.state.put(key, total);
  ctx.emit({ card: record.value.card, total });
});

const keyring = singleKeyring(Buffer.alloc(32, 7).toString('base64'), 'test');

function worker(
  io: InMemoryWorkerIo,
  handler: WorkerHandler<Payment> = counting,
  extra: { pii?: boolean; piiKey?: boolean } = {},
): NamespaceWorker<Payment> {
  const pii = extra.pii ? createPiiTokenizer({ key: Buffer.alloc(32, 7), fields: ['card'], keyIsPii: extra.piiKey ?? false }) : undefined;
  return NamespaceWorker.create<Payment>(
    { tenant: 't', namespace: 'ns', batchMaxRecords: 10, batchMaxWaitMs: 0, httpPort: -1, handlerRetries: 1 },
    { io, ingress: new Ingress({ decode: schemaDecoder(schema), keyring, ...(pii ? { pii } : {}) }), handler },
  );
}

const parse = (b: Buffer): Record<string, unknown> => JSON.parse(b.toString()) as Record<string, unknown>;

describe('NamespaceWorker', () => {
  it('processes records, commits outputs with state changes, and restores state after a restart', async () => {
    const io = new InMemoryWorkerIo();
    const w1 = worker(io);
    await w1.start();
    io.push(pay('a', 10), pay('b', 1), pay('a', 5));
    await io.acknowledged(3);
    await w1.drain();
    expect(w1.state).toBe('closed');
    expect(io.output('predictions').map((o) => parse(o.payload))).toEqual([
      { card: 'a', total: 10 },
      { card: 'b', total: 1 },
      { card: 'a', total: 15 },
    ]);
    expect(io.stateTopic.get('h/a')).toBeDefined();

    io.reopen();
    const w2 = worker(io);
    await w2.start();
    io.push(pay('a', 1));
    await io.acknowledged(4);
    await w2.drain();
    expect(parse(io.output('predictions').at(-1)?.payload as Buffer)).toEqual({ card: 'a', total: 16 });
  });

  it('dead-letters malformed records with their reason and keeps going', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io);
    await w.start();
    io.push(pay('a', 1), { key: 'x', payload: Buffer.from('{not json') }, pay('a', 2));
    await io.acknowledged(3);
    await w.drain();
    expect(io.output('predictions')).toHaveLength(2);
    const dl = io.output('dead-letter');
    expect(dl).toHaveLength(1);
    const rec = parse(dl[0]?.payload as Buffer);
    expect(rec['reason']).toBe('decode-error');
    expect(rec['errorCode']).toBe('BL_PULSAR_SCHEMA_DECODE');
    // #21: the content is sealed under the tenant key; the record itself holds nothing raw.
    expect(dl[0]?.payload.toString()).not.toContain('not json');
    expect(rec['payloadBase64']).toBeUndefined();
    const content = openDeadLetter(rec as unknown as DeadLetterRecord, keyring);
    expect(Buffer.from(content.payloadBase64, 'base64').toString()).toBe('{not json');
    expect(content.key).toBe('x');
    expect(dl[0]?.properties?.['beamline.reason']).toBe('decode-error');
  });

  it('dead-letters a record whose handler fails, without its partial state, and processes the rest of the batch', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(
      io,
      proc((record, ctx) => {
        const key = record.key ?? '';
        ctx.state.put(key, ((ctx.state.get(key) as number | undefined) ?? 0) + record.value.amount);
        if (record.value.amount === 666) throw new Error('cannot score this');
        ctx.emit({ total: ctx.state.get(key) });
      }),
    );
    await w.start();
    io.push(pay('a', 1), pay('a', 666), pay('a', 2));
    await io.acknowledged(3);
    await w.drain();
    expect(io.output('predictions').map((o) => parse(o.payload))).toEqual([{ total: 1 }, { total: 3 }]);
    const dl = io.output('dead-letter').map((o) => parse(o.payload));
    expect(dl).toHaveLength(1);
    expect(dl[0]?.['reason']).toBe('handler-error');
    expect(openDeadLetter(dl[0] as unknown as DeadLetterRecord, keyring).errorMessage).toBe('cannot score this');
  });

  it('retries a retriable handler error before giving up', async () => {
    const io = new InMemoryWorkerIo();
    let calls = 0;
    const w = worker(
      io,
      proc((_record, ctx) => {
        calls++;
        if (calls === 1) throw new BeamlineError('BL_TEST_FLAKY', 'flaky', { retriable: true });
        ctx.emit('ok');
      }),
    );
    await w.start();
    io.push(pay('a', 1));
    await io.acknowledged(1);
    await w.drain();
    expect(io.output('predictions')).toHaveLength(1);
    expect(io.output('dead-letter')).toHaveLength(0);
  });

  it('redelivers a batch whose commit failed, and state does not count it twice', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io);
    await w.start();
    io.failNextCommit();
    io.push(pay('a', 10));
    await io.acknowledged(1);
    await w.drain();
    expect(io.output('predictions').map((o) => parse(o.payload))).toEqual([{ card: 'a', total: 10 }]);
  });

  it('tokenizes PII before the handler, state and outputs see it', async () => {
    const io = new InMemoryWorkerIo();
    const seen: string[] = [];
    const w = worker(
      io,
      proc((record, ctx) => {
        seen.push(record.value.card);
        ctx.emit(record.value);
      }),
      { pii: true },
    );
    await w.start();
    io.push(pay('4111111111111111', 3));
    await io.acknowledged(1);
    await w.drain();
    expect(seen[0]).toMatch(/^tok_/);
    expect(io.output('predictions')[0]?.payload.toString()).not.toContain('4111111111111111');
  });

  it('tokenizes a PII message key before state, outputs and dead letters see it (#21)', async () => {
    const io = new InMemoryWorkerIo();
    const keys: Array<string | undefined> = [];
    const w = worker(
      io,
      proc((record, ctx) => {
        keys.push(record.key);
        ctx.state.put(record.key ?? '', 1);
        ctx.emit(record.value);
      }),
      { pii: true, piiKey: true },
    );
    await w.start();
    io.push(pay('4111111111111111', 3), { key: '4111111111111111', payload: Buffer.from('{"card":"4111111111111111"') });
    await io.acknowledged(2);
    await w.drain();
    expect(keys[0]).toMatch(/^tok_/);
    const all = [...io.output('predictions'), ...io.output('state'), ...io.output('dead-letter')];
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const o of all) {
      expect(o.key ?? '').not.toContain('4111111111111111');
      expect(o.payload.toString()).not.toContain('4111111111111111');
      expect(o.payload.toString()).not.toContain(Buffer.from('4111111111111111').toString('base64'));
    }
    const dead = parse(io.output('dead-letter')[0]?.payload as Buffer) as unknown as DeadLetterRecord;
    expect(dead.key).toBe(keys[0]);
    expect(openDeadLetter(dead, keyring).key).toBe('4111111111111111');
  });

  it('dead-letters a record whose output its topic schema refuses, and keeps the others', async () => {
    const io = new InMemoryWorkerIo();
    const strict = avroSchema<{ card: string; total: number }>({
      type: 'record',
      name: 'Total',
      fields: [
        { name: 'card', type: 'string' },
        { name: 'total', type: 'int' },
      ],
    });
    const w = NamespaceWorker.create<Payment>(
      { tenant: 't', namespace: 'ns', batchMaxRecords: 10, batchMaxWaitMs: 0, httpPort: -1 },
      {
        io,
        ingress: new Ingress({ decode: schemaDecoder(schema) }),
        handler: counting,
        encodeOutput: (_topic, value) => strict.encode(value as { card: string; total: number }),
      },
    );
    await w.start();
    // 2.5 is no Avro int: the second record's output is refused, and its state change with it.
    io.push(pay('a', 1), pay('a', 1.5), pay('a', 2));
    await io.acknowledged(3);
    await w.drain();
    expect(io.output('predictions').map((o) => strict.decode(o.payload))).toEqual([
      { card: 'a', total: 1 },
      { card: 'a', total: 3 },
    ]);
    const dl = io.output('dead-letter').map((o) => parse(o.payload));
    expect(dl.map((d) => d['reason'])).toEqual(['output-schema-mismatch']);
  });

  it('has idempotent start and drain, and drains a never-started worker', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io);
    await Promise.all([w.start(), w.start()]);
    await Promise.all([w.drain(), w.drain()]);
    expect(w.state).toBe('closed');
    const never = worker(new InMemoryWorkerIo());
    await never.drain();
    expect(never.state).toBe('closed');
  });
});
