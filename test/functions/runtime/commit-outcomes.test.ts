/**
 * #27: the worker's commit path when a commit's outcome is lost, when a broker redelivers
 * committed inputs, and when handed-back inputs come back behind newer ones; #21: the audit
 * chain across those outcomes.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import type { ProcessFn } from '../../../functions/contract.ts';
import {
  AuditChainWriter,
  auditSealOf,
  compileKeyring,
  newKeyringDocument,
  verifyAuditChain,
} from '../../../functions/governance/index.ts';
import { jsonSchema } from '../../../functions/pulsar/index.ts';
import {
  Ingress,
  InputGate,
  NamespaceWorker,
  schemaDecoder,
  type InputMessage,
  type WorkerHandler,
} from '../../../functions/runtime/index.ts';
import { InMemoryWorkerIo } from '../../../functions/runtime/testing/index.ts';
import { PrometheusMetrics } from '../../../functions/control-plane.ts';

interface Event {
  card: string;
  amount: number;
}

const schema = jsonSchema<Event>({
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
});

const ev = (card: string, amount: number): { key: string; payload: Buffer; eventTimeMs: number } => ({
  key: card,
  payload: Buffer.from(JSON.stringify({ card, amount })),
  eventTimeMs: 1_000,
});

/** Running total per key; every output carries the event's amount and the total after it. */
const totals: ProcessFn<Event> = (record, ctx) => {
  const key = record.key ?? '';
  const total = ((ctx.state.get(key) as number | undefined) ?? 0) + record.value.amount;
  ctx.state.put(key, total);
  ctx.emit({ card: key, amount: record.value.amount, total });
};

function worker(io: InMemoryWorkerIo, batchMaxRecords = 10, clock?: FakeClock): NamespaceWorker<Event> {
  const handler: WorkerHandler<Event> = { process: totals };
  return NamespaceWorker.create<Event>(
    { tenant: 't', namespace: 'ns', batchMaxRecords, batchMaxWaitMs: 0, httpPort: -1 },
    { io, ingress: new Ingress({ decode: schemaDecoder(schema) }), handler, instanceId: 'w1', ...(clock === undefined ? {} : { clock }) },
  );
}

const outputs = (io: InMemoryWorkerIo): Array<{ card: string; amount: number; total: number }> =>
  io.output('predictions').map((o) => JSON.parse(o.payload.toString()) as { card: string; amount: number; total: number });

const stateOf = (io: InMemoryWorkerIo, key: string): unknown => {
  const r = io.stateTopic.get(`h/${key}`);
  return r === undefined ? undefined : JSON.parse(Buffer.from(r.value).toString());
};

describe('commit outcome resolution', () => {
  it('a batch that committed although its commit reported an unknown outcome is kept: no rollback, no hand-back', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io);
    await w.start();
    io.failNextCommit('unknown-committed');
    io.push(ev('a', 1));
    await io.acknowledged(1);
    io.push(ev('a', 10));
    await io.acknowledged(2);
    await w.drain();
    expect(outputs(io).map((o) => o.total)).toEqual([1, 11]);
    expect(stateOf(io, 'a')).toBe(11);
    expect(io.releases).toEqual([]);
    expect(w.processed).toBe(2);
    // The marker of the worker's last committed batch is on the state topic.
    expect(io.stateTopic.get('t/w1')?.value.toString()).toBe('2');
  });

  it('a batch that did not commit and reported an unknown outcome is rebuilt from the state topic and handed back', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io);
    await w.start();
    io.push(ev('a', 1));
    await io.acknowledged(1);
    io.failNextCommit('unknown-aborted');
    io.push(ev('a', 10));
    await io.acknowledged(2);
    await w.drain();
    expect(outputs(io).map((o) => o.total)).toEqual([1, 11]);
    expect(stateOf(io, 'a')).toBe(11);
    expect(io.releases).toHaveLength(1);
  });

  it('keeps asking when re-reading state after an unknown outcome fails retriably (a broker still recovering): the worker does not fail', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io);
    await w.start();
    io.push(ev('a', 1));
    await io.acknowledged(1);
    io.failNextCommit('unknown-committed');
    io.failNextRestores(2);
    io.push(ev('a', 10));
    await io.acknowledged(2);
    io.push(ev('a', 100));
    await io.acknowledged(3);
    expect(w.state).toBe('running');
    await w.drain();
    expect(outputs(io).map((o) => o.total)).toEqual([1, 11, 111]);
    expect(stateOf(io, 'a')).toBe(111);
    expect(w.processed).toBe(3);
  });

  it('an aborted commit is undone in memory and exactly its inputs are handed back', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io);
    await w.start();
    io.failNextCommit('aborted');
    io.push(ev('a', 1), ev('b', 2));
    await io.acknowledged(2);
    await w.drain();
    expect(io.releases).toEqual([['0:0:-1:-1', '1:0:-1:-1']]);
    expect(outputs(io).map((o) => [o.card, o.total])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });
});

describe('redelivered inputs that were already committed', () => {
  it('are acknowledged without being decided again, and do not poison the batch they arrive in', async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io);
    await w.start();
    io.push(ev('a', 1), ev('b', 2));
    await io.acknowledged(2);
    // A reconnect: the broker sends the committed inputs again, mixed with a new one.
    io.redeliverCommitted(['0:0:-1:-1', '1:0:-1:-1']);
    io.push(ev('a', 10));
    await io.acknowledged(3);
    await w.drain();
    expect(io.duplicateAcks).toEqual(['0:0:-1:-1', '1:0:-1:-1']);
    expect(outputs(io).map((o) => [o.card, o.total])).toEqual([
      ['a', 1],
      ['b', 2],
      ['a', 11],
    ]);
    expect(io.acked).toEqual(['0:0:-1:-1', '1:0:-1:-1', '2:0:-1:-1']);
  });
});

describe('inputs that arrive after newer inputs of their key were committed', () => {
  // Both were decided by nobody: acknowledging them as "already committed" loses them for good
  // (the worker-crash integration test lost a whole batch of 200 this way).
  const settled = async (io: InMemoryWorkerIo, n: number): Promise<void> => {
    while (io.acked.length + io.duplicateAcks.length < n) await new Promise((r) => setImmediate(r));
  };

  it("an input held back by a killed worker's open transaction is decided when it comes, not acknowledged as committed", async () => {
    const io = new InMemoryWorkerIo();
    const w = worker(io, 1);
    io.push(ev('a', 1), ev('a', 10), ev('a', 100));
    // The previous worker acked input 0 in a transaction and died before committing: the broker
    // dispatches inputs 1 and 2 to this worker, and input 0 only when that transaction times out.
    io.withhold(['0:0:-1:-1']);
    await w.start();
    await io.acknowledged(2);
    io.redeliver(['0:0:-1:-1']);
    await settled(io, 3);
    await w.drain();
    expect(io.duplicateAcks).toEqual([]);
    expect(io.acked).toEqual(['1:0:-1:-1', '2:0:-1:-1', '0:0:-1:-1']);
    expect(outputs(io).map((o) => o.amount)).toEqual([10, 100, 1]);
    expect(stateOf(io, 'a')).toBe(111);
  });

  it('a handed-back input the worker gave up waiting for is decided when it comes back late', async () => {
    const io = new InMemoryWorkerIo();
    // Every redelivery request is lost: the handed-back input only comes back much later.
    io.dropReleases = 1_000;
    const clock = new FakeClock();
    const w = worker(io, 1, clock);
    await w.start();
    io.failNextCommit('aborted');
    io.push(ev('a', 1), ev('a', 10));
    while (io.releases.length < 1) await new Promise((r) => setImmediate(r));
    // Past the hold's give-up time on the worker's clock: input 1 is decided without input 0.
    await clock.advance(61_000);
    await io.acknowledged(1);
    io.redeliver(['0:0:-1:-1']);
    await settled(io, 2);
    await w.drain();
    expect(io.duplicateAcks).toEqual([]);
    expect(io.acked).toEqual(['1:0:-1:-1', '0:0:-1:-1']);
    expect(stateOf(io, 'a')).toBe(11);
  });
});

describe('per-key order after a failed commit', () => {
  it('holds newer inputs until the handed-back ones return, then decides each key in topic order', async () => {
    const io = new InMemoryWorkerIo();
    // Handed-back inputs come back behind the newer ones the consumer had already prefetched.
    io.releaseToBack = true;
    const w = worker(io, 2);
    await w.start();
    io.failNextCommit('aborted');
    io.push(ev('a', 1), ev('a', 10), ev('a', 100), ev('b', 5), ev('a', 1000));
    await io.acknowledged(5);
    await w.drain();
    expect(outputs(io).map((o) => [o.card, o.amount, o.total])).toEqual([
      ['a', 1, 1],
      ['a', 10, 11],
      ['a', 100, 111],
      ['b', 5, 5],
      ['a', 1000, 1111],
    ]);
    expect(io.acked).toEqual(['0:0:-1:-1', '1:0:-1:-1', '2:0:-1:-1', '3:0:-1:-1', '4:0:-1:-1']);
  });

  it('holds at most maxInFlight inputs while waiting: newer ones go back to the broker, and each key keeps its order (#26)', async () => {
    const io = new InMemoryWorkerIo();
    io.releaseToBack = true;
    const metrics = new PrometheusMetrics();
    const w = NamespaceWorker.create<Event>(
      { tenant: 't', namespace: 'ns', batchMaxRecords: 2, batchMaxWaitMs: 0, maxInFlight: 3, httpPort: -1 },
      { io, ingress: new Ingress({ decode: schemaDecoder(schema) }), handler: { process: totals }, instanceId: 'w1', metrics },
    );
    await w.start();
    io.failNextCommit('aborted');
    const keys = ['a', 'b', 'c'];
    const pushed = Array.from({ length: 30 }, (_, i) => ev(keys[i % 3] as string, i + 1));
    io.push(...pushed);
    await io.acknowledged(30);
    await w.drain();
    // Every event decided once, and per key in the order it was produced, totals running.
    expect(outputs(io)).toHaveLength(30);
    for (const k of keys) {
      const mine = pushed.filter((p) => p.key === k).map((p) => (JSON.parse(p.payload.toString()) as Event).amount);
      const got = outputs(io).filter((o) => o.card === k);
      expect(got.map((o) => o.amount)).toEqual(mine);
      expect(got.map((o) => o.total)).toEqual(mine.map((_, i) => mine.slice(0, i + 1).reduce((x, y) => x + y, 0)));
    }
    // Beyond the aborted batch's own hand-back, inputs went back because the hold was full.
    expect(io.releases.length).toBeGreaterThan(1);
    expect(await metrics.render()).toMatch(/beamline_inputs_handed_back_total\{[^}]*\} [1-9]/);
  });

  it('asks again for handed-back inputs whose redelivery request was lost', async () => {
    const io = new InMemoryWorkerIo();
    io.releaseToBack = true;
    io.dropReleases = 1;
    const clock = new FakeClock();
    const w = worker(io, 1, clock);
    await w.start();
    io.failNextCommit('aborted');
    io.push(ev('a', 1), ev('a', 10));
    while (io.releases.length < 1) await new Promise((r) => setImmediate(r));
    // Past the re-ask interval on the worker's clock; it looks after its next idle receive.
    await clock.advance(1_100);
    while (io.releases.length < 2) await new Promise((r) => setImmediate(r));
    await io.acknowledged(2);
    await w.drain();
    expect(io.releases).toEqual([['0:0:-1:-1'], ['0:0:-1:-1']]);
    expect(outputs(io).map((o) => o.total)).toEqual([1, 11]);
  });
});

describe('InputGate', () => {
  const input = (id: string, key: string, topic = 'persistent://t/ns/events-partition-0'): InputMessage => ({
    ref: id,
    topic,
    messageId: id,
    key,
    payload: Buffer.alloc(0),
    properties: {},
    eventTimeMs: undefined,
    publishTimeMs: 0,
    schemaVersion: undefined,
    redeliveryCount: 0,
  });

  it('drops a second copy of an input already queued, and releases held inputs sorted per partition', () => {
    const gate = new InputGate();
    const a1 = input('5:1:0:-1', 'a');
    const a2 = input('5:2:0:-1', 'a');
    const a3 = input('5:3:0:-1', 'a');
    const b1 = input('7:1:1:-1', 'b', 'persistent://t/ns/events-partition-1');
    expect(gate.admit([a1, a2])).toEqual([]);
    const batch = gate.take(2);
    gate.handedBack(batch);
    expect(gate.holding).toBe(true);
    gate.admit([a3, b1, a2]);
    expect(gate.ready).toBe(0);
    gate.admit([a1, a1]);
    expect(gate.holding).toBe(false);
    expect(gate.take(10).map((m) => m.messageId)).toEqual(['5:1:0:-1', '7:1:1:-1', '5:2:0:-1', '5:3:0:-1']);
  });

  it('holds at most maxHeld inputs; newer ones go back, and their keys stay blocked until the oldest comes back (#26)', () => {
    const gate = new InputGate(100, 2);
    const a1 = input('5:1:0:-1', 'a');
    gate.admit([a1]);
    gate.handedBack(gate.take(1));
    const b1 = input('5:2:0:-1', 'b');
    const c1 = input('5:3:0:-1', 'c');
    const b2 = input('5:4:0:-1', 'b');
    const c2 = input('5:5:0:-1', 'c');
    gate.admit([b1, c1, b2, c2]);
    expect(gate.held).toBe(2);
    expect(gate.takeOverflow().map((m) => m.messageId)).toEqual(['5:4:0:-1', '5:5:0:-1']);
    expect(gate.takeOverflow()).toEqual([]);
    expect(gate.overflowed).toBe(2);
    // The handed-back input returns: the hold ends and releases what it held, in order.
    gate.admit([a1]);
    expect(gate.holding).toBe(false);
    expect(gate.take(10).map((m) => m.messageId)).toEqual(['5:1:0:-1', '5:2:0:-1', '5:3:0:-1']);
    // A newer input of a blocked key goes back too (it may have been on the wire already)...
    const b3 = input('5:6:0:-1', 'b');
    const d1 = input('5:7:0:-1', 'd');
    gate.admit([b3, d1]);
    expect(gate.takeOverflow().map((m) => m.messageId)).toEqual(['5:6:0:-1']);
    expect(gate.take(10).map((m) => m.messageId)).toEqual(['5:7:0:-1']);
    // ...until the key's oldest handed-back input is back; then its later ones, one after another.
    gate.admit([b3, c2]);
    expect(gate.takeOverflow().map((m) => m.messageId)).toEqual(['5:6:0:-1']);
    gate.admit([b2, b3]);
    expect(gate.takeOverflow()).toEqual([]);
    expect(gate.overflowed).toBe(0);
    expect(gate.overflowReturned).toBe(3);
    expect(gate.take(10).map((m) => m.messageId)).toEqual(['5:5:0:-1', '5:4:0:-1', '5:6:0:-1']);
  });

  it('at the bound, holds an input older than one held of its key rather than let the newer overtake it', () => {
    const gate = new InputGate(100, 1);
    gate.admit([input('5:1:0:-1', 'x')]);
    gate.handedBack(gate.take(1));
    gate.admit([input('5:9:0:-1', 'a'), input('5:5:0:-1', 'a'), input('5:10:0:-1', 'a')]);
    expect(gate.held).toBe(2);
    expect(gate.takeOverflow().map((m) => m.messageId)).toEqual(['5:10:0:-1']);
    gate.admit([input('5:1:0:-1', 'x')]);
    expect(gate.take(10).map((m) => m.messageId)).toEqual(['5:1:0:-1', '5:5:0:-1', '5:9:0:-1']);
  });

  it('forgets inputs handed back past the bound on request (liveness), and on clear', () => {
    const gate = new InputGate(100, 1);
    gate.admit([input('5:1:0:-1', 'x')]);
    gate.handedBack(gate.take(1));
    gate.admit([input('5:2:0:-1', 'a'), input('5:3:0:-1', 'a')]);
    expect(gate.overflowed).toBe(1);
    expect(gate.forgetOverflow()).toBe(1);
    gate.giveUp();
    gate.admit([input('5:4:0:-1', 'a')]);
    expect(gate.takeOverflow().map((m) => m.messageId)).toEqual(['5:3:0:-1']);
    expect(gate.take(10).map((m) => m.messageId)).toEqual(['5:2:0:-1', '5:4:0:-1']);
    gate.handedBack([input('5:9:0:-1', 'y')]);
    gate.admit([input('5:5:0:-1', 'b'), input('5:6:0:-1', 'b')]);
    expect(gate.overflowed).toBe(1);
    gate.clear();
    expect(gate.overflowed).toBe(0);
    expect(gate.takeOverflow()).toEqual([]);
  });

  it('recognises exactly the committed inputs as duplicates, per topic partition', () => {
    const gate = new InputGate();
    gate.admit([input('5:1:0:0', 'a'), input('5:1:0:1', 'b')]);
    gate.committed(gate.take(10));
    const again = [
      input('5:1:0:0', 'a'),
      input('5:1:0:1', 'b'),
      input('5:2:0:-1', 'a'),
      input('4:9:0:-1', 'c'),
      // Older than a committed input of its key, but never committed itself.
      input('5:0:0:-1', 'a'),
      // The same id on another partition is another input.
      input('5:1:0:0', 'a', 'persistent://t/ns/events-partition-1'),
    ];
    expect(gate.admit(again).map((m) => m.messageId)).toEqual(['5:1:0:0', '5:1:0:1']);
    expect(gate.take(10).map((m) => m.messageId)).toEqual(['5:2:0:-1', '4:9:0:-1', '5:0:0:-1', '5:1:0:0']);
  });

  it('forgets the oldest committed ids past its bound', () => {
    const gate = new InputGate(2);
    gate.admit([input('1:1:0:-1', 'a'), input('1:2:0:-1', 'a'), input('1:3:0:-1', 'a')]);
    gate.committed(gate.take(10));
    expect(gate.admit([input('1:1:0:-1', 'a'), input('1:2:0:-1', 'a'), input('1:3:0:-1', 'a')]).map((m) => m.messageId)).toEqual([
      '1:2:0:-1',
      '1:3:0:-1',
    ]);
  });
});

/** One decision and one audit record per event. */
const decide: ProcessFn<Event> = (record, ctx) => {
  ctx.emit({ card: record.value.card, amount: record.value.amount });
  ctx.emit({ at: 1_000, actor: 'w', action: 'decision', subject: record.messageId, detail: String(record.value.amount) }, { to: 'audit' });
};

describe('worker audit chain (#21)', () => {
  it('chains every committed audit record; aborted and unknown-outcome batches leave no gap', async () => {
    const keyring = compileKeyring(newKeyringDocument('k1'), 'keys');
    const io = new InMemoryWorkerIo();
    const w = NamespaceWorker.create<Event>(
      { tenant: 't', namespace: 'ns', batchMaxRecords: 2, batchMaxWaitMs: 0, httpPort: -1 },
      {
        io,
        ingress: new Ingress({ decode: schemaDecoder(schema) }),
        handler: { process: decide },
        instanceId: 'w1',
        auditChain: new AuditChainWriter({ seal: auditSealOf(keyring), role: 'worker' }),
      },
    );
    await w.start();
    io.push(ev('a', 1), ev('b', 2));
    await io.acknowledged(2);
    io.failNextCommit('aborted');
    io.push(ev('c', 3), ev('d', 4));
    await io.acknowledged(4);
    io.failNextCommit('unknown-aborted');
    io.push(ev('e', 5));
    await io.acknowledged(5);
    io.failNextCommit('unknown-committed');
    io.push(ev('f', 6));
    await io.acknowledged(6);
    io.push(ev('g', 7));
    await io.acknowledged(7);
    await w.drain();
    const audit = io.output('audit');
    expect(audit.map((o) => JSON.parse(o.payload.toString()).detail as string).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    const records = audit.map((o, i) => ({
      messageId: `m${i}`,
      partition: -1,
      key: o.key,
      payload: o.payload,
      properties: o.properties ?? {},
    }));
    const report = verifyAuditChain(records, { keyring });
    expect(report.problems).toEqual([]);
    expect(report.resends).toBe(0);
    expect(report.writers).toHaveLength(1);
    expect(report.writers[0]?.lastSeq).toBe(6);
    // Without the key the seals cannot be checked, and dropping a record is found.
    expect(verifyAuditChain(records).ok).toBe(false);
    expect(
      verifyAuditChain(
        records.filter((_, i) => i !== 3),
        { keyring },
      ).problems.map((p) => p.kind),
    ).toEqual(['removed']);
  });
});
