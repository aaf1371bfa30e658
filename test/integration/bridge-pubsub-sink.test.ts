/**
 * The Pub/Sub sink across crashes (#24): keyed messages on a namespace's predictions topic go
 * through `beamline bridge pubsub-sink`, which is SIGKILLed 3 times at random points and
 * restarted. With its ledger subscription (the default) the claim checked is exactly once: an
 * independent subscriber on the topic (not the ledger) receives every message once and only
 * once, in order per key, each with its Pulsar message id, the same data and attributes; and the
 * sink's starts report the copies they read back from the ledger.
 */
import type { ChildProcess } from 'node:child_process';
import type { Message as PubsubMessage } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import type { PulsarClient } from '../../functions/control-plane.ts';
import { PULSAR_ID_ATTRIBUTE } from '../../bridge/index.ts';
import { kill, lastRunningLine, PROJECT, sleep, startBridge, startFake, stopFake, type Fake } from './bridge-support.ts';
import { createNamespace, createTenant, deleteTenant, newClient, topic } from './worker-support.ts';

const MESSAGES = Number(process.env['BEAMLINE_BRIDGE_CRASH_MESSAGES'] ?? 50_000);
const KEYS = 50;
const KILLS = 3;
/** The sink's default ledger: `<pulsar subscription>-<tenant>.<namespace>.<topic>-ledger`. */
let LEDGER = '';
const log = (line: string): void => console.log(`[bridge-sink-crash] ${line}`);

describe('pubsub-sink crash recovery (exactly once through the ledger, in order)', () => {
  let tenant = '';
  let fake: Fake | undefined;
  let client: PulsarClient | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child !== undefined) await kill(child);
    await client?.close();
    await stopFake(fake);
    if (tenant !== '') await deleteTenant(tenant);
  });

  it(`publishes ${MESSAGES} messages exactly once, in order per key, across ${KILLS} SIGKILLs`, { timeout: 600_000 }, async () => {
    tenant = await createTenant('bsink');
    LEDGER = `beamline-bridge-pubsub-sink-${tenant}.ns.predictions-ledger`;
    await createNamespace(tenant, 'ns');
    client = newClient();
    fake = await startFake();
    const [t] = await fake.pubsub.createTopic('decisions');
    await t.createSubscription('decisions-check', { enableMessageOrdering: true, ackDeadlineSeconds: 30 });

    // Per message: its Pulsar id, data, arrivals, and the Pub/Sub message ids it arrived under
    // (two ids = published twice; one id arriving twice would be Pub/Sub redelivering to the checker).
    const copies = new Map<number, { id: string; data: string; count: number; pubsubIds: Set<string> }>();
    const maxSeq = new Map<string, number>();
    const skipped: string[] = [];
    const inconsistent: string[] = [];
    const wrongAttributes: string[] = [];
    let arrivals = 0;
    const check = fake.pubsub.subscription('decisions-check', { streamingOptions: { maxStreams: 16 }, flowControl: { maxMessages: 2000 } });
    check.on('message', (m: PubsubMessage) => {
      arrivals++;
      const data = m.data.toString('utf8');
      const v = JSON.parse(data) as { n: number; key: string; seq: number };
      const id = m.attributes[PULSAR_ID_ATTRIBUTE] ?? '';
      const prev = copies.get(v.n);
      if (prev === undefined) copies.set(v.n, { id, data, count: 1, pubsubIds: new Set([m.id]) });
      else {
        prev.count++;
        prev.pubsubIds.add(m.id);
        if (prev.id !== id || prev.data !== data) inconsistent.push(`n=${v.n}: ${prev.id} vs ${id}`);
      }
      const max = maxSeq.get(v.key) ?? -1;
      if (v.seq > max + 1) skipped.push(`${v.key}: seq ${v.seq} before ${max + 1}`);
      maxSeq.set(v.key, Math.max(max, v.seq));
      if (m.orderingKey !== v.key || m.attributes['decision'] === undefined || id === '')
        wrongAttributes.push(`n=${v.n}: ${JSON.stringify(m.attributes)} key=${m.orderingKey}`);
      m.ack();
    });
    check.on('error', (err) => log(`check subscriber error: ${String(err)}`));

    // Predictions arrive as the sink goes (at most BACKLOG ahead of what Pub/Sub delivered), so
    // the kills land while it publishes, and pstest's backlog (rescanned per delivery) stays small.
    const BACKLOG = 4000;
    const producer = await client.createProducer({ topic: topic(tenant, 'ns', 'predictions'), batchingMaxDelayMs: 5 });
    const seqs = new Map<number, number>();
    const nextSeq = (k: number): number => {
      const s = seqs.get(k) ?? 0;
      seqs.set(k, s + 1);
      return s;
    };
    let produced = 0;
    let batchesDone = 0;
    const producing = (async () => {
      while (produced < MESSAGES) {
        if (produced - copies.size >= BACKLOG) {
          await sleep(20);
          continue;
        }
        const batch: Promise<unknown>[] = [];
        for (const end = Math.min(MESSAGES, produced + 1000); produced < end; produced++) {
          const n = produced;
          const k = n % KEYS;
          const key = `card-${k}`;
          batch.push(
            producer.send({
              key,
              payload: JSON.stringify({ n, key, seq: nextSeq(k) }),
              properties: { decision: n % 10 === 0 ? 'block' : 'approve' },
              eventTimeMs: 1_700_000_000_000 + n,
            }),
          );
        }
        await Promise.all(batch);
        batchesDone++;
      }
    })();

    const args = ['--from', `${tenant}/ns/predictions`, '--topic', `projects/${PROJECT}/topics/decisions`];
    const t1 = Date.now();
    const recovered: number[] = [];
    const restart = async (): Promise<ChildProcess> => {
      const c = await startBridge(fake!, 'pubsub-sink', args);
      const line = lastRunningLine(c);
      const m = /ledger projects\/\S+\/subscriptions\/(\S+), recovered (\d+) ids/.exec(line);
      expect(m?.[1], line).toBe(LEDGER);
      recovered.push(Number(m?.[2]));
      return c;
    };
    child = await startBridge(fake, 'pubsub-sink', args);
    expect(lastRunningLine(child)).toMatch(/recovered 0 ids/);
    for (let k = 0; k < KILLS; k++) {
      const target = Math.min(MESSAGES - 1, copies.size + Math.floor(MESSAGES * (0.1 + Math.random() * 0.2)));
      const until = Date.now() + 240_000;
      while (copies.size < target && Date.now() < until) await sleep(10);
      // Kill while the sink has work in hand: just after a batch of predictions arrived (the sink
      // idles whenever Pub/Sub delivery to the checker lags the BACKLOG behind).
      const batch = batchesDone;
      const busyBy = Date.now() + 60_000;
      while (batchesDone === batch && Date.now() < busyBy) await sleep(5);
      // ... and while Pub/Sub is accepting its publishes (the checker sees them arrive), so some
      // accepted publishes are not yet settled in the ledger: the window a crash must not repeat.
      const arrived = copies.size;
      while (copies.size < arrived + 50 && Date.now() < busyBy) await sleep(5);
      await sleep(Math.random() * 100);
      await kill(child);
      log(`kill ${k + 1} at ${((Date.now() - t1) / 1000).toFixed(1)} s: ${copies.size} messages in Pub/Sub, ${produced} produced`);
      child = await restart();
      log(`restart ${k + 1}: ledger read back ${recovered.at(-1)} ids`);
    }
    await producing;
    await producer.close();
    const until = Date.now() + 300_000;
    while (copies.size < MESSAGES && Date.now() < until) await sleep(50);
    await sleep(3000);
    await kill(child, 'SIGTERM');
    child = undefined;
    await check.close();
    const duplicates = [...copies.values()].filter((c) => c.pubsubIds.size > 1);
    const redelivered = [...copies.values()].filter((c) => c.count > c.pubsubIds.size).length;
    log(
      `${copies.size} distinct in Pub/Sub after ${((Date.now() - t1) / 1000).toFixed(1)} s; ${arrivals} arrivals, ${duplicates.length} messages published more than once, ${redelivered} redelivered by Pub/Sub to the checker; ledger read back ${recovered.join(' / ')} ids at the restarts`,
    );

    expect(copies.size).toBe(MESSAGES);
    // Exactly once: no message was published twice (it would reach the checker under a second
    // Pub/Sub message id).
    expect(duplicates.slice(0, 5).map((c) => c.id)).toEqual([]);
    // The ledger is the sink's own subscription, beside the checker's, and outlives the sink.
    const [subs] = await fake.pubsub.topic('decisions').getSubscriptions();
    expect(subs.map((x) => x.name.split('/').pop()).sort()).toEqual(['decisions-check', LEDGER].sort());
    expect(recovered).toHaveLength(KILLS);
    expect(skipped.slice(0, 5)).toEqual([]);
    expect(inconsistent.slice(0, 5)).toEqual([]);
    expect(wrongAttributes.slice(0, 5)).toEqual([]);
    expect(maxSeq.size).toBe(KEYS);
  });
});
