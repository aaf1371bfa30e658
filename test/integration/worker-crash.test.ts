/**
 * Effectively-once across crashes: a worker process is killed with SIGKILL at random points
 * while it works through 100k events, and restarted each time. Afterwards the output topic holds
 * exactly one decision per input event, and the state equals that of a run without crashes
 * (each key's running total = the sum of its amounts).
 *
 * Run twice: one worker on an unpartitioned namespace, and three replicas on a 6-partition one
 * (#17: each kill hits one replica at random; the others take its partitions after its open
 * transaction times out, and the restarted one takes some back).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { PulsarClient } from '../../functions/pulsar/index.ts';
import {
  admin,
  createNamespace,
  createTenant,
  deduplicateOutputs,
  deleteTenant,
  env,
  newClient,
  readAll,
  topic,
} from './worker-support.ts';

const EVENTS = Number(process.env['BL_CRASH_TEST_EVENTS'] ?? 100_000);
const KEYS = 1_000;
// Knobs for hunting rare losses: more kills over fewer events. Defaults are what CI runs.
const KILLS = Number(process.env['BL_CRASH_TEST_KILLS'] ?? 5);
const PARTITIONS = 6;
const fixture = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));
// Where the kills landed, for whoever reads a failing run.
const log = (line: string): void => console.log(`[worker-crash] ${line}`);

function startChild(tenant: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, env.serviceUrl, env.adminUrl, tenant, 'ns'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited before ready (code ${code})`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe.each([1, 3])('worker crash recovery (effectively-once), %i replica(s)', (replicas) => {
  let tenant = '';
  let client: PulsarClient | undefined;
  const children: Array<ChildProcess | undefined> = [];
  afterAll(async () => {
    // A run that timed out leaves its workers running: stop them before the namespace goes.
    for (const c of children) if (c !== undefined) await kill(c);
    await client?.close();
    if (tenant !== '') await deleteTenant(tenant);
  });

  // Bounded by its waits (5 x 60 s to the kill targets, 120 s to the end) plus 6 worker starts
  // of 8-25 s each on a loaded machine and the 100k sends.
  it(
    `keeps exactly one decision per input and the right state across ${KILLS} SIGKILLs in ${EVENTS} events`,
    { timeout: replicas === 1 ? 600_000 : 900_000 },
    async () => {
      tenant = await createTenant('wcrash');
      if (replicas === 1) await createNamespace(tenant, 'ns');
      else {
        await admin.namespaces.create(`${tenant}/ns`);
        for (const t of ['events', 'state', 'owners']) await admin.topics.createPartitioned(topic(tenant, 'ns', t), PARTITIONS);
        for (const t of ['predictions', 'actions', 'review', 'dead-letter'])
          await admin.topics.createNonPartitioned(topic(tenant, 'ns', t));
        // As `beamline tenant apply` sets them up (see worker-replicas.test.ts).
        await deduplicateOutputs(tenant, 'ns');
      }
      client = newClient();
      const expected = new Map<string, number>();
      const producer = await client.createProducer({
        topic: topic(tenant, 'ns', 'events'),
        batching: true,
        batchingType: 'key-based',
        batchingMaxDelayMs: 5,
      });
      // Replicas start before the events go out (they split the partitions first), so every kill
      // lands mid-stream; the single worker meets the events as a backlog.
      if (replicas > 1) await Promise.all(Array.from({ length: replicas }, async (_, i) => (children[i] = await startChild(tenant))));
      const sends: Promise<unknown>[] = [];
      for (let id = 0; id < EVENTS; id++) {
        const key = `k${id % KEYS}`;
        const amount = (id % 7) + 1;
        expected.set(key, (expected.get(key) ?? 0) + amount);
        sends.push(producer.send({ key, payload: Buffer.from(JSON.stringify({ id, amount })) }));
      }
      await Promise.all(sends);
      await producer.close();
      const t0 = Date.now();

      // Count outputs as they commit; the consumer sees only committed transactions.
      const seen = new Map<number, number>();
      // Inputs decided after a newer event of their key: a killed worker's open transaction held
      // them until it timed out (logged, not asserted: the state is a sum, order-free).
      const newest = new Map<string, number>();
      let late = 0;
      const outputs = await client.subscribe({
        topic: topic(tenant, 'ns', 'predictions'),
        subscription: 'check',
        initialPosition: 'Earliest',
      });
      const reading = (async () => {
        for await (const m of outputs) {
          const o = JSON.parse(m.payload.toString()) as { id: number; key: string };
          seen.set(o.id, (seen.get(o.id) ?? 0) + 1);
          if (o.id < (newest.get(o.key) ?? -1)) late++;
          else newest.set(o.key, o.id);
          outputs.ack(m);
        }
      })();

      if (replicas === 1) children[0] = await startChild(tenant);
      // Recovery: a restarted worker's 'ready' -> the first output it commits, for the note.
      let restart: { k: number; readyAt: number; size: number } | undefined;
      const noteRecovery = (): void => {
        if (restart === undefined || seen.size <= restart.size) return;
        log(`restart ${restart.k}: first new output ${Date.now() - restart.readyAt} ms after ready`);
        restart = undefined;
      };
      for (let k = 0; k < KILLS; k++) {
        // Kill at a random point of the run: after somewhere between 5% and 18% more outputs (with
        // the default 5 kills; spread over more kills accordingly).
        const target = Math.min(EVENTS - 1, seen.size + Math.floor((EVENTS * (0.05 + Math.random() * 0.13) * 5) / KILLS));
        const until = Date.now() + 60_000;
        while (seen.size < target && Date.now() < until) {
          noteRecovery();
          await new Promise((r) => setTimeout(r, 20));
        }
        noteRecovery();
        const victim = Math.floor(Math.random() * replicas);
        await kill(children[victim] as ChildProcess);
        log(`kill ${k + 1} (replica ${victim + 1} of ${replicas}) at ${seen.size} outputs`);
        const spawnedAt = Date.now();
        children[victim] = await startChild(tenant);
        restart = { k: k + 1, readyAt: Date.now(), size: seen.size };
        log(`restart ${k + 1}: ready ${restart.readyAt - spawnedAt} ms after spawn`);
      }
      const until = Date.now() + 120_000;
      while (seen.size < EVENTS && Date.now() < until) {
        noteRecovery();
        await new Promise((r) => setTimeout(r, 50));
      }
      log(`${seen.size} outputs after ${((Date.now() - t0) / 1000).toFixed(1)} s; ${late} decided after a newer event of their key`);
      await Promise.all(
        children.map(async (c) => {
          if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
          c.kill('SIGTERM');
          await new Promise((r) => c.once('exit', r));
        }),
      );
      await outputs.close();
      await reading.catch(() => undefined);

      if (seen.size < EVENTS) {
        const missing: string[] = [];
        for (let id = 0; id < EVENTS && missing.length < 400; id++) if (!seen.has(id)) missing.push(`${id}/k${id % KEYS}`);
        log(`missing (id/key): ${missing.join(' ')}`);
      }
      expect(seen.size).toBe(EVENTS);
      const duplicates = [...seen.values()].filter((n) => n !== 1).length;
      expect(duplicates).toBe(0);

      // Final state: the compacted state topic's last value per key.
      const state = new Map<string, number>();
      for (const m of await readAll(client, topic(tenant, 'ns', 'state'))) {
        if (m.key === undefined || !m.key.startsWith('h/')) continue;
        if (m.payload.length === 0) state.delete(m.key.slice(2));
        else state.set(m.key.slice(2), JSON.parse(m.payload.toString()) as number);
      }
      expect(state.size).toBe(KEYS);
      for (const [key, total] of expected) expect(state.get(key), key).toBe(total);
    },
  );
});
