/**
 * #21: the worker hash-chains its audit records, and a batch that did not commit leaves no gap in
 * its chain (its links are discarded with it).
 */
import { describe, expect, it } from 'vitest';
import type { ProcessFn } from '../../../functions/contract.ts';
import {
  AuditChainWriter,
  auditSealOf,
  compileKeyring,
  newKeyringDocument,
  verifyAuditChain,
} from '../../../functions/governance/index.ts';
import { jsonSchema } from '../../../functions/pulsar/index.ts';
import { Ingress, NamespaceWorker, schemaDecoder } from '../../../functions/runtime/index.ts';
import { InMemoryWorkerIo } from '../../../functions/runtime/testing/index.ts';

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
