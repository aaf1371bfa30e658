/**
 * Scale-out benchmark (#17): a 6-partition namespace worked by replicas that join and leave.
 *
 *   npm run bench -- scale [--events 30000] [--keys 3000] [--rate 500] [--partitions 6] [--txn-timeout-ms 10000]
 *
 * Two replicas start (scripts/bench/scale-replica.ts, one process each); `--events` events over
 * `--keys` keys are produced at `--rate`/s; a third replica joins after a third of the outputs,
 * one replica is SIGKILLed after two thirds, another gets SIGTERM (drains) and is restarted.
 * Reported:
 * - events/s: events over first to last output.
 * - hand-over p50/p99 per partition: on each partition, every change of the replica deciding it,
 *   the old owner's last output to the new owner's first (publish times of the outputs, which
 *   are sent inside each commit): graceful moves (join, SIGTERM) and crash moves (SIGKILL, which
 *   include ending the dead owner's open transactions) separately.
 * - restore keys/s: keys restored over restore time, summed over every partition gain.
 * - lost (inputs with no output), duplicated (inputs with two), stale (outputs whose count/sum
 *   differ from the one-owner reference: the n-th event of a key has count n and the sum of the
 *   key's first n amounts). Each must be 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PulsarAdmin, createClient, type PulsarClient } from '@beamline/pulsar';
import { numberOption, type BenchContext, type SuiteResult } from '../suite.ts';
import { parseReplicaLine } from '../../../demo/replica-protocol.ts';

const replicaScript = fileURLToPath(new URL('../scale-replica.ts', import.meta.url));

interface Output {
  id: number;
  key: string;
  count: number;
  sum: number;
  partition: number;
  replica: string;
}

interface Replica {
  name: string;
  child: ChildProcess;
  gains: Array<{ restoredKeys: number; restoreMs: number; fenceMs: number; fromStandby: boolean }>;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`scale bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const standby = numberOption(ctx, 'standby', 2);
  const modes = standby === 2 ? [false, true] : [standby === 1];
  const rows: SuiteResult['rows'] = [];
  const notes: string[] = [];
  for (const on of modes) {
    const r = await scenario(ctx, on);
    rows.push(r.row);
    notes.push(...r.notes.map((n) => (modes.length > 1 ? `standby ${on ? 'on' : 'off'}: ${n}` : n)));
  }
  if (rows.length === 2) {
    const [off, on] = rows as [Record<string, number | string>, Record<string, number | string>];
    const ratio = (k: string): number => Math.round(((on[k] as number) / Math.max(1, off[k] as number)) * 100) / 100;
    notes.unshift(
      `standby on / off, same run: hand-over p50 x${ratio('handover_p50_ms')}, p99 x${ratio('handover_p99_ms')}, restore p50 x${ratio('restore_p50_ms')}, max x${ratio('restore_max_ms')}.`,
    );
  }
  return { rows, notes };
}

/** Keys of ballast state per transaction: the worker's batchMaxRecords, its commits under a backlog. */
const BALLAST_PER_TXN = 100;

/**
 * Ballast: `n` keys of state that no event touches, written to the state partitions the way the
 * workers write them (in transactions, one record per key), so every hand-over restores them too.
 */
async function writeBallast(client: PulsarClient, stateTopic: string, n: number): Promise<void> {
  if (n === 0) return;
  const producer = await client.createProducer({ topic: stateTopic, batching: true, batchingMaxDelayMs: 1, compression: 'none' });
  const inflight: Promise<void>[] = [];
  for (let from = 0; from < n; from += BALLAST_PER_TXN) {
    inflight.push(
      (async () => {
        const txn = await client.newTransaction({ timeoutMs: 60_000 });
        const sends: Promise<unknown>[] = [];
        for (let i = from; i < Math.min(n, from + BALLAST_PER_TXN); i++) {
          // The partition is chosen by key, as the workers' are by input partition: ballast is spread evenly.
          sends.push(producer.send({ key: `h/ballast-${i}`, payload: Buffer.from(JSON.stringify({ count: 1, sum: i % 7 })) }, { txn }));
        }
        await Promise.all(sends);
        await txn.commit();
      })(),
    );
    if (inflight.length >= 32) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  await producer.close();
}

async function scenario(ctx: BenchContext, standby: boolean): Promise<{ row: SuiteResult['rows'][number]; notes: string[] }> {
  const events = numberOption(ctx, 'events', 30_000);
  const keys = numberOption(ctx, 'keys', 3_000);
  const rate = numberOption(ctx, 'rate', 500);
  const partitions = numberOption(ctx, 'partitions', 6);
  const txnTimeoutMs = numberOption(ctx, 'txn-timeout-ms', 10_000);
  const ballast = numberOption(ctx, 'ballast-keys', 0);
  const admin = new PulsarAdmin({ url: ctx.adminUrl, ...(ctx.token === undefined ? {} : { token: ctx.token }) });
  const client: PulsarClient = createClient({ serviceUrl: ctx.serviceUrl, ...(ctx.token === undefined ? {} : { token: ctx.token }) });
  const tenant = `bench-scale-${Date.now().toString(36)}`;
  const cluster = (await admin.clusters.list())[0] as string;
  await admin.tenants.create(tenant, { adminRoles: [], allowedClusters: [cluster] });
  const ns = `${tenant}/ns`;
  const topic = (t: string): string => `persistent://${ns}/${t}`;
  await admin.namespaces.create(ns);
  for (const t of ['events', 'state', 'owners']) await admin.topics.createPartitioned(topic(t), partitions);
  for (const t of ['predictions', 'actions', 'review', 'dead-letter']) await admin.topics.createNonPartitioned(topic(t));
  const ballastStart = Date.now();
  await writeBallast(client, topic('state'), ballast);
  const ballastMs = Date.now() - ballastStart;

  const replicas: Replica[] = [];
  const start = (name: string): Promise<Replica> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [replicaScript, ctx.serviceUrl, ctx.adminUrl, tenant, 'ns', name], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, BL_SCALE_TXN_TIMEOUT_MS: String(txnTimeoutMs), BL_SCALE_STANDBY: standby ? '1' : '0' },
      });
      const r: Replica = { name, child, gains: [] };
      replicas.push(r);
      // BL_SCALE_LOG_DIR=<dir> keeps each replica's log (one file per process) for a diagnosis.
      // eslint-disable-next-line no-restricted-syntax -- an environment variable's name, not an error code
      const logDir = process.env['BL_SCALE_LOG_DIR'];
      if (logDir !== undefined) mkdirSync(logDir, { recursive: true });
      let buf = '';
      child.stdout?.on('data', (d: Buffer) => {
        if (logDir !== undefined) appendFileSync(`${logDir}/${name}-${child.pid}.log`, d);
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = parseReplicaLine(line);
          if (m.type === 'ready') resolve(r);
          if (m.type === 'partition' && m.event.kind === 'gained') {
            const e = m.event as { restoredKeys?: number; restoreMs?: number; fenceMs?: number; fromStandby?: boolean };
            r.gains.push({
              restoredKeys: e.restoredKeys ?? 0,
              restoreMs: e.restoreMs ?? 0,
              fenceMs: e.fenceMs ?? 0,
              fromStandby: e.fromStandby === true,
            });
          }
        }
      });
      child.once('exit', (code, signal) => reject(new Error(`replica ${name} exited before ready (${code ?? signal})`)));
    });
  const stop = (r: Replica, signal: NodeJS.Signals): Promise<void> =>
    new Promise((resolve) => {
      if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
      r.child.once('exit', () => resolve());
      r.child.kill(signal);
    });

  const seen = new Map<number, Array<Output & { atMs: number; msgId: string }>>();
  const kills: Record<string, number> = {};
  try {
    const consumer = await client.subscribe({
      topic: topic('predictions'),
      subscription: 'bench',
      initialPosition: 'Earliest',
      receiverQueueSize: 1000,
    });
    const reading = (async () => {
      for await (const m of consumer) {
        const o = JSON.parse(m.payload.toString()) as Output;
        const list = seen.get(o.id) ?? [];
        // A copy with the same message id is the checker's own redelivery (its acks are grouped:
        // a reconnect hands back what it had not flushed), not a second output in the topic.
        const msgId = `${m.id.ledgerId}:${m.id.entryId}:${m.id.batchIndex}`;
        if (list.some((x) => x.msgId === msgId)) {
          consumer.ack(m);
          continue;
        }
        list.push({ ...o, atMs: m.publishTimeMs, msgId });
        seen.set(o.id, list);
        consumer.ack(m);
      }
    })().catch(() => undefined);
    const [a, b] = await Promise.all([start('replica-a'), start('replica-b')]);
    const producer = await client.createProducer({
      topic: topic('events'),
      batching: true,
      batchingType: 'key-based',
      batchingMaxDelayMs: 5,
    });
    const producing = (async () => {
      const t0 = Date.now();
      const chunk = Math.max(1, Math.floor(rate / 10));
      for (let from = 0; from < events; from += chunk) {
        const sends: Promise<unknown>[] = [];
        for (let id = from; id < Math.min(events, from + chunk); id++)
          sends.push(producer.send({ key: `k${id % keys}`, payload: Buffer.from(JSON.stringify({ id, amount: (id % 7) + 1 })) }));
        await Promise.all(sends);
        const due = t0 + ((from + chunk) / rate) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
    })();
    await until(() => seen.size >= events / 3, 600_000, 'a third of the outputs');
    kills['join'] = seen.size;
    await start('replica-c');
    await until(() => seen.size >= (2 * events) / 3, 600_000, 'two thirds of the outputs');
    kills['sigkill'] = seen.size;
    await stop(a, 'SIGKILL');
    await until(() => seen.size >= Math.min(events - 1, (kills['sigkill'] ?? 0) + events / 10), 600_000, 'outputs after the SIGKILL');
    kills['sigterm'] = seen.size;
    await stop(b, 'SIGTERM');
    await start('replica-b');
    await producing;
    await producer.close();
    await until(() => seen.size >= events, 600_000, 'every output').catch((err: unknown) =>
      ctx.log.error({ err: String(err) }, 'not every output came'),
    );
    await new Promise((r) => setTimeout(r, 2_000));
    await consumer.close();
    await reading;
  } finally {
    for (const r of replicas) await stop(r, 'SIGTERM');
    await client.close();
    // A forced delete races the broker's own system topics right after a run: retry a few times.
    for (let i = 0; i < 5; i++) {
      try {
        await admin.tenants.delete(tenant, { force: true });
        break;
      } catch (err) {
        if (i === 4) ctx.log.warn({ err: String(err) }, 'bench tenant not deleted');
        else await new Promise((r) => setTimeout(r, 2_000 * (i + 1)));
      }
    }
  }

  // Reference: one owner decides a key's events in topic order.
  const running = new Map<string, { count: number; sum: number }>();
  let lost = 0;
  let duplicated = 0;
  let stale = 0;
  const copies: string[] = [];
  for (let id = 0; id < events; id++) {
    const key = `k${id % keys}`;
    const r = running.get(key) ?? { count: 0, sum: 0 };
    r.count += 1;
    r.sum += (id % 7) + 1;
    running.set(key, r);
    const got = seen.get(id);
    if (got === undefined) lost++;
    else {
      if (got.length > 1) {
        duplicated++;
        // Which replica wrote each copy, and when: one replica twice is a resend, two a second decision.
        if (copies.length < 5) copies.push(`${id}: ${got.map((o) => `${o.replica}@p${o.partition}+${o.atMs}#${o.msgId}`).join(', ')}`);
      }
      if (got.some((o) => o.count !== r.count || o.sum !== r.sum)) stale++;
    }
  }
  // Hand-overs per partition: a change of deciding replica between consecutive outputs.
  const byPartition = new Map<number, Array<{ atMs: number; replica: string }>>();
  let first = Infinity;
  let last = 0;
  for (const list of seen.values()) {
    for (const o of list) {
      const l = byPartition.get(o.partition) ?? [];
      l.push({ atMs: o.atMs, replica: o.replica });
      byPartition.set(o.partition, l);
      first = Math.min(first, o.atMs);
      last = Math.max(last, o.atMs);
    }
  }
  const handovers: number[] = [];
  for (const l of byPartition.values()) {
    l.sort((x, y) => x.atMs - y.atMs);
    for (let i = 1; i < l.length; i++)
      if ((l[i] as { replica: string }).replica !== (l[i - 1] as { replica: string }).replica)
        handovers.push((l[i] as { atMs: number }).atMs - (l[i - 1] as { atMs: number }).atMs);
  }
  handovers.sort((x, y) => x - y);
  const gains = replicas.flatMap((r) => r.gains);
  const restoredKeys = gains.reduce((n, g) => n + g.restoredKeys, 0);
  const restoreMs = gains.reduce((n, g) => n + g.restoreMs, 0);
  const fences = gains.map((g) => g.fenceMs).sort((x, y) => x - y);
  const restores = gains.map((g) => g.restoreMs).sort((x, y) => x - y);
  const restoredPerGain = gains.map((g) => g.restoredKeys).sort((x, y) => x - y);
  return {
    row: {
      standby: standby ? 'on' : 'off',
      events,
      keys,
      ballast_keys: ballast,
      partitions,
      events_per_s: Math.round(events / Math.max(0.001, (last - first) / 1000)),
      handovers: handovers.length,
      handover_p50_ms: percentile(handovers, 0.5),
      handover_p99_ms: percentile(handovers, 0.99),
      handover_max_ms: handovers.at(-1) ?? 0,
      restore_keys_per_s: restoreMs === 0 ? 0 : Math.round((restoredKeys / restoreMs) * 1000),
      gains: gains.length,
      gains_from_standby: gains.filter((g) => g.fromStandby).length,
      keys_per_gain_p50: percentile(restoredPerGain, 0.5),
      keys_per_gain_max: restoredPerGain.at(-1) ?? 0,
      restore_p50_ms: Math.round(percentile(restores, 0.5)),
      restore_max_ms: Math.round(restores.at(-1) ?? 0),
      fence_p50_ms: Math.round(percentile(fences, 0.5)),
      fence_max_ms: Math.round(fences.at(-1) ?? 0),
      lost,
      duplicated,
      stale,
    },
    notes: [
      ...(ballast > 0
        ? [
            `Ballast: ${ballast} keys of state no event touches, written before the replicas start in transactions of ${BALLAST_PER_TXN} records (the workers' commits under a backlog), ${ballastMs} ms; every gain restores its partition's share.`,
          ]
        : []),
      `Replicas: 2 at start, a third joined at ${kills['join']} outputs, one SIGKILLed at ${kills['sigkill']}, one SIGTERM + restart at ${kills['sigterm']}; input ${rate} events/s.`,
      `Hand-over = on one partition, the old owner's last output to the new owner's first (output publish times). A SIGKILLed owner's open transactions are aborted by the new owner through the partition's ownership journal (the rewind comes before the partition's consumer grants the broker any permit), not waited out (transaction timeout ${txnTimeoutMs} ms).`,
      "restore keys/s: keys restored from the state partitions over the restore time (fence excluded), over every gain. fence: the new owner's journal fence (producer, read-back, aborts of what the previous owner left open) and, on a regain, the wait for the broker to use permits left from the replica's earlier ownership.",
      'lost, duplicated and stale must all be 0.',
      ...(copies.length > 0 ? [`duplicated inputs (first 5; replica@partition+publish time ms): ${copies.join('; ')}`] : []),
    ],
  };
}
