/**
 * #17: the ownership journal on a real broker. A new owner's fence shuts the previous owner out
 * (its producer is fenced, so it records, and therefore starts, no transaction on the partition
 * any more) and aborts what that owner recorded as open: its sends never become readable, its
 * commit fails. A drained owner's last record lists nothing, so the next fence aborts nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../functions/clock.ts';
import { compileWorkerOptions, OwnershipJournal, type WorkerConfig } from '../../functions/runtime/index.ts';
import { silentLogger } from '../../functions/telemetry.ts';
import type { PulsarClient } from '../../functions/pulsar/index.ts';
import { admin, createTenant, deleteTenant, newClient } from './worker-support.ts';

const clients: PulsarClient[] = [];
const tenants: string[] = [];

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  for (const t of tenants) await deleteTenant(t);
});

async function setUp(): Promise<{ config: WorkerConfig; state: string }> {
  const tenant = await createTenant('ojournal');
  tenants.push(tenant);
  await admin.namespaces.create(`${tenant}/ns`);
  for (const t of ['state', 'owners']) await admin.topics.createPartitioned(`persistent://${tenant}/ns/${t}`, 2);
  const config = compileWorkerOptions({ tenant, namespace: 'ns', transactionTimeoutMs: 60_000 });
  return { config, state: `persistent://${tenant}/ns/state-partition-1` };
}

function journal(config: WorkerConfig, client: PulsarClient, owner: string): OwnershipJournal {
  return new OwnershipJournal(config, { client, log: silentLogger, clock: systemClock, replicaId: owner }, 1, `${owner}/1`);
}

async function readAll(client: PulsarClient, topic: string): Promise<string[]> {
  const reader = await client.createReader({ topic, startMessageId: 'earliest' });
  const out: string[] = [];
  try {
    while (await reader.hasMessageAvailable()) out.push((await reader.readNext(10_000)).payload.toString());
  } finally {
    await reader.close();
  }
  return out;
}

describe('ownership journal (#17)', () => {
  it("a new owner's fence aborts the open transaction the previous owner recorded and shuts it out", { timeout: 60_000 }, async () => {
    const { config, state } = await setUp();
    const oldClient = newClient();
    const newClient2 = newClient();
    clients.push(oldClient, newClient2);
    const old = journal(config, oldClient, 'old');
    expect(await old.fence()).toMatchObject({ mode: 'fenced', aborted: 0 });

    const producer = await oldClient.createProducer({ topic: state, batching: false });
    const committedTxn = await oldClient.newTransaction({ timeoutMs: 60_000 });
    await old.opened(committedTxn);
    await producer.send('committed', { txn: committedTxn });
    await committedTxn.commit();
    old.ended(committedTxn);
    const open = await oldClient.newTransaction({ timeoutMs: 60_000 });
    await old.opened(open);
    await producer.send('left open', { txn: open });

    const fresh = journal(config, newClient2, 'new');
    const t0 = Date.now();
    const fence = await fresh.fence();
    // Ended at once, not after the 60 s transaction timeout.
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(fence).toMatchObject({ mode: 'fenced', aborted: 1, committed: 0 });
    expect(await readAll(newClient2, state)).toEqual(['committed']);
    await expect(open.commit()).rejects.toThrow();

    // The previous owner can record (and so start) nothing more on the partition.
    const late = await oldClient.newTransaction({ timeoutMs: 60_000 });
    await expect(old.opened(late)).rejects.toMatchObject({ code: 'BL_WORKER_PARTITION_REVOKED' });
    await late.abort();
    await old.close();

    // An owner whose last record lists nothing open: the next fence ends nothing.
    await fresh.close();
    const third = journal(config, newClient2, 'third');
    expect(await third.fence()).toMatchObject({ mode: 'fenced', aborted: 0, committed: 0 });
    await third.close();
  });
});
