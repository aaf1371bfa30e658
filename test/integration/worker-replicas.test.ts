/**
 * One namespace, many replicas (#17), on the shared broker: worker replicas in their own
 * processes own the partitions of a 6-partition namespace (Failover per partition), and state
 * moves with its partition. Each output carries its key's running count and sum.
 *
 * - Scale: 30,000 events over 300 keys; 2 replicas, a third joins after a third of the outputs,
 *   one is SIGKILLed after two thirds, another gets SIGTERM and is restarted. Every input is
 *   decided exactly once, and every output's count and sum equal the one-replica reference (a
 *   single owner decides a key's events in topic order: the n-th event of a key has count n and
 *   the sum of the key's first n amounts, computed here from what was produced).
 * - Zombie: the owner of partitions stops itself (SIGSTOP) mid-commit (acks and outputs sent,
 *   END_TXN not yet), the broker hands its partitions over, the survivor decides; then SIGCONT.
 *   Same checks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Consumer, PulsarClient } from '../../functions/pulsar/index.ts';
import { parseReplicaLine } from '../../demo/replica-protocol.ts';
import { admin, createTenant, deduplicateOutputs, deleteTenant, env, newClient, readAll, topic, waitFor } from './worker-support.ts';

const PARTITIONS = 6;
const fixture = fileURLToPath(new URL('./fixtures/replica-worker.ts', import.meta.url));
const log = (line: string): void => console.log(`[worker-replicas] ${line}`);
/** Every replica process spawned, for the clean-up. */
const children: ChildProcess[] = [];

interface Output {
  id: number;
  key: string;
  count: number;
  sum: number;
  replica: string;
}

interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  /** Partitions owned after the last partition event. */
  owned: number[];
  lines: string[];
  /** The last lines of its stderr (its log), for a diagnosis; also passed through to ours. */
  logTail: string[];
  /** Partition gains restored from a standby (BL_REPLICA_STANDBY=1). */
  standbyGains: number;
}

async function createPartitionedNamespace(tenant: string): Promise<void> {
  await admin.namespaces.create(`${tenant}/ns`);
  for (const t of ['events', 'state', 'owners']) await admin.topics.createPartitioned(topic(tenant, 'ns', t), PARTITIONS);
  for (const t of ['predictions', 'actions', 'review', 'dead-letter']) await admin.topics.createNonPartitioned(topic(tenant, 'ns', t));
  // As `beamline tenant apply` sets them up: a resend after a topic closed under its producer
  // is dropped by the broker, so a second output for an id can only be a second decision.
  await deduplicateOutputs(tenant, 'ns');
  await primeTransactionBuffers(tenant);
}

/**
 * One aborted transactional message on each output topic the replicas share, one at a time, before
 * any replica runs. Concurrent first transactional publishes to a fresh topic can leave Pulsar
 * 4.0.7's transaction buffer refusing every later one (apache/pulsar#24945; seen once here on a
 * fresh broker, `predictions` stuck). A replica sends its own first one alone
 * (functions/runtime/first-send-gate.ts), but two replicas started together can still race each
 * other; this does what `beamline tenant apply` should (TODO(#17)). Never delivered: consumers and
 * readers skip aborted messages.
 */
async function primeTransactionBuffers(tenant: string): Promise<void> {
  const c = newClient();
  try {
    for (const t of ['predictions', 'actions', 'review', 'dead-letter']) {
      const producer = await c.createProducer({ topic: topic(tenant, 'ns', t), batching: false });
      const txn = await c.newTransaction({ timeoutMs: 30_000 });
      await producer.send({ payload: Buffer.from('{}') }, { txn });
      await txn.abort();
      await producer.close();
    }
  } finally {
    await c.close();
  }
}

/** A replica process, loaded but not started: `go()` starts it and resolves once it is ready. */
interface Spawned {
  go(): Promise<Replica>;
}

function spawnReplica(tenant: string, name: string, extraEnv: Record<string, string> = {}): Promise<Spawned> {
  return new Promise((loaded, failed) => {
    const child = spawn(process.execPath, [fixture, env.serviceUrl, env.adminUrl, tenant, 'ns', name], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...extraEnv, BL_REPLICA_WAIT_GO: '1' },
    });
    children.push(child);
    const r: Replica = { name, child, owned: [], lines: [], logTail: [], standbyGains: 0 };
    let ready: (r: Replica) => void = () => undefined;
    const isReady = new Promise<Replica>((resolve) => (ready = resolve));
    child.stdout?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line === 'loaded') loaded({ go: () => (child.stdin?.write('go\n'), isReady) });
    });
    listen(r, ready);
    child.once('exit', (code, signal) => failed(new Error(`replica ${name} exited before it loaded (${code ?? signal})`)));
  });
}

async function startReplica(tenant: string, name: string, extraEnv: Record<string, string> = {}): Promise<Replica> {
  return (await spawnReplica(tenant, name, extraEnv)).go();
}

function listen(r: Replica, resolve: (r: Replica) => void): void {
  const { child, name } = r;
  child.stderr?.on('data', (d: Buffer) => {
    process.stderr.write(d);
    for (const line of d.toString().split('\n')) if (line !== '') r.logTail.push(line);
    if (r.logTail.length > 40) r.logTail.splice(0, r.logTail.length - 40);
  });
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      r.lines.push(line);
      const m = parseReplicaLine(line);
      if (m.type === 'ready') resolve(r);
      if (m.type === 'partition') {
        r.owned = [...m.event.owned];
        if (m.event.kind === 'gained' && (m.event as { fromStandby?: boolean }).fromStandby === true) r.standbyGains++;
        log(`${name} ${m.event.kind} ${m.event.partition} -> owns [${r.owned.join(',')}]`);
      }
    }
  });
}

/**
 * What the broker and the replicas say when a wait times out, folded into the error (a CI log
 * keeps the failure summary, not the lines before it): per input partition its active consumer,
 * messages in and the workers' backlog; outputs in and the checker's backlog; each replica's
 * partitions, exit and last log lines. Tells a stalled producer, replica or checker apart.
 */
async function diagnosis(tenant: string, rs: readonly Replica[], produced: () => number): Promise<string> {
  const parts: string[] = [`produced ${produced()}`];
  try {
    const events = await admin.topics.getPartitionedStats(topic(tenant, 'ns', 'events'), { perPartition: true });
    for (const [name, st] of Object.entries(events.partitions ?? {})) {
      const subs = Object.entries(st.subscriptions ?? {}).map(([sub, v]) => {
        const x = v as {
          msgBacklog?: number;
          activeConsumerName?: string;
          unackedMessages?: number;
          consumers?: { consumerName?: string; availablePermits?: number; unackedMessages?: number }[];
        };
        // A consumer with no permits never gets a message: a lost FLOW shows here.
        const consumers = (x.consumers ?? []).map((c) => `${c.consumerName} permits ${c.availablePermits}`).join(', ');
        return `${sub}: backlog ${x.msgBacklog} unacked ${x.unackedMessages} active ${x.activeConsumerName} (${consumers})`;
      });
      parts.push(`${name.slice(name.lastIndexOf('-') + 1)}: in ${String(st['msgInCounter'])}; ${subs.join('; ')}`);
    }
    const out = await admin.topics.getStats(topic(tenant, 'ns', 'predictions'));
    const check = out.subscriptions?.['check'] as { msgBacklog?: number; unackedMessages?: number; msgOutCounter?: number } | undefined;
    parts.push(
      `predictions: in ${String(out['msgInCounter'])}; check: backlog ${check?.msgBacklog} unacked ${check?.unackedMessages} out ${check?.msgOutCounter}`,
    );
  } catch (err) {
    parts.push(`stats failed: ${String(err)}`);
  }
  for (const r of rs) {
    // Its log is JSON lines on stdout, with the partition events: the last lines and warnings.
    const warnings = r.lines.filter((l) => /"level":[456]0/.test(l)).slice(-5);
    const tail = [...warnings, ...r.lines.slice(-3), ...r.logTail.slice(-3)].join(' | ').slice(-3000);
    parts.push(`${r.name}: owns [${r.owned.join(',')}], exit ${r.child.exitCode ?? r.child.signalCode ?? 'no'}; ${tail}`);
  }
  return parts.join('\n  ');
}

/** waitFor, with the diagnosis above in the error when it times out. */
async function waitOrDiagnose(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  tenant: string,
  rs: readonly Replica[],
  produced: () => number,
): Promise<void> {
  try {
    await waitFor(cond, timeoutMs, what);
  } catch (err) {
    dumpLogs(rs);
    throw new Error(`${(err as Error).message}\n  ${await diagnosis(tenant, rs, produced)}`, { cause: err });
  }
}

/** Each replica's own log lines, to files under $BL_REPLICAS_LOG_DIR when set. */
function dumpLogs(rs: readonly Replica[]): void {
  const dir = process.env['BL_REPLICAS_LOG_DIR'];
  if (dir === undefined) return;
  rs.forEach((r, i) => writeFileSync(join(dir, `${i}-${r.name}.log`), r.lines.join('\n')));
}

function stop(r: Replica, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
    r.child.once('exit', () => resolve());
    r.child.kill(signal);
  });
}

/**
 * Produces `events` events over `keys` keys, `perSecond` at most (paced, so replicas join and
 * leave while work remains); `expected` holds each event id's reference output at once.
 */
function produce(
  client: PulsarClient,
  tenant: string,
  events: number,
  keys: number,
  perSecond: number,
): { expected: Map<number, { key: string; count: number; sum: number }>; done: Promise<void>; sent: () => number } {
  const expected = new Map<number, { key: string; count: number; sum: number }>();
  const running = new Map<string, { count: number; sum: number }>();
  for (let id = 0; id < events; id++) {
    const key = `k${id % keys}`;
    const r = running.get(key) ?? { count: 0, sum: 0 };
    r.count += 1;
    r.sum += (id % 7) + 1;
    running.set(key, r);
    expected.set(id, { key, count: r.count, sum: r.sum });
  }
  let sent = 0;
  const done = (async () => {
    const producer = await client.createProducer({
      topic: topic(tenant, 'ns', 'events'),
      batching: true,
      batchingType: 'key-based',
      batchingMaxDelayMs: 5,
    });
    const t0 = Date.now();
    const chunk = Math.max(1, Math.floor(perSecond / 10));
    for (let from = 0; from < events; from += chunk) {
      const sends: Promise<unknown>[] = [];
      for (let id = from; id < Math.min(events, from + chunk); id++) {
        sends.push(producer.send({ key: `k${id % keys}`, payload: Buffer.from(JSON.stringify({ id, amount: (id % 7) + 1 })) }));
      }
      await Promise.all(sends);
      sent += sends.length;
      const due = t0 + ((from + chunk) / perSecond) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    await producer.close();
  })();
  // Awaited by the test; when the test fails first, the client's close rejects it: not unhandled.
  done.catch(() => undefined);
  return { expected, done, sent: () => sent };
}

/** Collects committed outputs (a consumer sees only committed transactions). */
async function collect(
  client: PulsarClient,
  tenant: string,
): Promise<{ seen: Map<number, Output[]>; consumer: Consumer; done: Promise<void> }> {
  const seen = new Map<number, Output[]>();
  const consumer = await client.subscribe({
    topic: topic(tenant, 'ns', 'predictions'),
    subscription: 'check',
    initialPosition: 'Earliest',
  });
  const done = (async () => {
    for await (const m of consumer) {
      const o = JSON.parse(m.payload.toString()) as Output;
      const list = seen.get(o.id) ?? [];
      list.push(o);
      seen.set(o.id, list);
      consumer.ack(m);
    }
  })().catch(() => undefined);
  return { seen, consumer, done };
}

/** Exactly one output per event, each with the reference count and sum; final state right. */
async function check(
  client: PulsarClient,
  tenant: string,
  expected: Map<number, { key: string; count: number; sum: number }>,
  seen: Map<number, Output[]>,
): Promise<void> {
  const missing = [...expected.keys()].filter((id) => !seen.has(id));
  const duplicated = [...seen].filter(([, l]) => l.length > 1).map(([id]) => id);
  const stale = [...seen].filter(([id, l]) => {
    const e = expected.get(id);
    return e === undefined || l.some((o) => o.key !== e.key || o.count !== e.count || o.sum !== e.sum);
  });
  log(`outputs ${seen.size}, missing ${missing.length}, duplicated ${duplicated.length}, wrong count/sum ${stale.length}`);
  if (missing.length > 0) {
    log(
      `missing: ${missing
        .slice(0, 60)
        .map((id) => `${id}(${expected.get(id)?.key}#${expected.get(id)?.count})`)
        .join(' ')}`,
    );
    // Checker or worker? Whether the missing outputs are on the topic at all (a reader sees only
    // committed transactions), and where.
    const lost = new Set(missing);
    const found: string[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      for (const m of await readAll(client, `${topic(tenant, 'ns', 'predictions')}-partition-${p}`)) {
        const o = JSON.parse(m.payload.toString()) as Output;
        if (lost.has(o.id)) found.push(`${o.id}@p${p}/${m.id.ledgerId}:${m.id.entryId}/${o.replica}`);
      }
    }
    log(`missing outputs found on the topic by a reader: ${found.length} ${found.slice(0, 20).join(' ')}`);
  }
  if (stale.length > 0) log(`wrong: ${JSON.stringify(stale.slice(0, 10))}`);
  // Which replicas wrote each copy: one replica twice is a resend, two replicas a second decision.
  if (duplicated.length > 0) log(`duplicated: ${JSON.stringify(duplicated.slice(0, 10).map((id) => ({ id, copies: seen.get(id) })))}`);
  expect(missing.slice(0, 10)).toEqual([]);
  expect(duplicated.slice(0, 10)).toEqual([]);
  expect(stale.slice(0, 5)).toEqual([]);
  expect(seen.size).toBe(expected.size);
  // Final state: per key the last count and sum, in the state partition of its input partition.
  const finals = new Map<string, { count: number; sum: number }>();
  for (const e of expected.values()) finals.set(e.key, { count: e.count, sum: e.sum });
  const state = new Map<string, { count: number; sum: number }>();
  const statePartitionOf = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    for (const m of await readAll(client, `${topic(tenant, 'ns', 'state')}-partition-${p}`)) {
      if (m.key === undefined || !m.key.startsWith('h/')) continue;
      const key = m.key.slice(2);
      statePartitionOf.set(key, p);
      if (m.payload.length === 0) state.delete(key);
      else state.set(key, JSON.parse(m.payload.toString()) as { count: number; sum: number });
    }
  }
  expect(state.size).toBe(finals.size);
  for (const [key, v] of finals) expect(state.get(key), key).toEqual(v);
  // Each key's state lives in one state partition: the index of its input partition.
  const inputPartitionOf = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    for (const m of await readAll(client, `${topic(tenant, 'ns', 'events')}-partition-${p}`))
      if (m.key !== undefined) inputPartitionOf.set(m.key, p);
  }
  for (const [key, p] of statePartitionOf) expect(inputPartitionOf.get(key), key).toBe(p);
}

describe('worker replicas own partitions (#17)', () => {
  const tenants: string[] = [];
  const replicas: Replica[] = [];
  let client: PulsarClient | undefined;
  afterAll(async () => {
    for (const child of children) {
      if (child.signalCode === null && child.exitCode === null) {
        child.kill('SIGCONT');
        await stop({ name: '', child, owned: [], lines: [], logTail: [], standbyGains: 0 }, 'SIGKILL');
      }
    }
    await client?.close();
    for (const t of tenants) await deleteTenant(t);
  });

  it(
    '30,000 events, 300 keys, 6 partitions: replicas join, are killed and restarted; every output equals the one-replica reference',
    { timeout: 600_000 },
    async () => {
      const EVENTS = 30_000;
      const tenant = await createTenant('wrepl');
      tenants.push(tenant);
      await createPartitionedNamespace(tenant);
      client = newClient();
      const { seen, consumer, done } = await collect(client, tenant);
      const [a, b] = await Promise.all([startReplica(tenant, 'replica-a'), startReplica(tenant, 'replica-b')]);
      replicas.push(a, b);
      // Loaded now, started on cue below (a cold process start takes many seconds here). These two
      // keep standbys (standbyState): they read all state before joining, so their gains restore
      // from warm copies, checked against the same reference as the full restores of a and b.
      const standby = { BL_REPLICA_STANDBY: '1' };
      const [cLoaded, b2Loaded] = await Promise.all([
        spawnReplica(tenant, 'replica-c', standby),
        spawnReplica(tenant, 'replica-b', standby),
      ]);
      const t0 = Date.now();
      const progress = (): string => `${seen.size} outputs at ${((Date.now() - t0) / 1000).toFixed(1)} s`;
      const ticker = setInterval(() => log(progress()), 10_000);
      // ~60 s of input at 500 events/s: every hand-over below happens while events keep coming.
      const { expected, done: produced, sent } = produce(client, tenant, EVENTS, 300, 500);
      const wait = (cond: () => boolean, ms: number, what: string): Promise<void> => waitOrDiagnose(cond, ms, what, tenant, replicas, sent);
      await wait(() => seen.size >= EVENTS / 3, 300_000, 'a third of the outputs');
      const c = await cLoaded.go();
      replicas.push(c);
      log(`replica-c joined at ${progress()}`);
      await wait(() => seen.size >= (2 * EVENTS) / 3, 300_000, 'two thirds of the outputs');
      await stop(a, 'SIGKILL');
      const killedAt = seen.size;
      log(`replica-a SIGKILLed at ${progress()}`);
      await wait(() => seen.size >= Math.min(EVENTS - 1, killedAt + EVENTS / 10), 300_000, 'outputs after the SIGKILL');
      await stop(b, 'SIGTERM');
      const termAt = seen.size;
      log(`replica-b SIGTERM (drained, exit ${b.child.exitCode}) at ${progress()}`);
      const b2 = await b2Loaded.go();
      replicas.push(b2);
      log(`replica-b restarted at ${progress()}`);
      await produced;
      // On a timeout the checks below still run: they say which outputs are missing.
      await wait(() => seen.size >= EVENTS, 180_000, 'every output').catch((err: unknown) => log(String(err)));
      clearInterval(ticker);
      log(`all outputs at ${progress()}`);
      dumpLogs([a, b, c, b2]);
      // Hand-overs happened while work remained, not after it.
      expect(killedAt).toBeLessThan(EVENTS);
      expect(termAt).toBeLessThan(EVENTS);
      expect(b.child.exitCode).toBe(0);
      // The two live replicas end with three partitions each, every partition owned once.
      await wait(() => c.owned.length === 3 && b2.owned.length === 3, 120_000, 'partitions spread 3 + 3 over the two live replicas');
      expect([...c.owned, ...b2.owned].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(c.standbyGains).toBeGreaterThan(0);
      expect(b2.standbyGains).toBeGreaterThan(0);
      // Outputs still arriving would be duplicates: give them a moment, then check.
      await new Promise((r) => setTimeout(r, 2_000));
      await consumer.close();
      await done;
      await check(client, tenant, expected, seen);
      const dead = await readAll(client, topic(tenant, 'ns', 'dead-letter'));
      expect(dead.length).toBe(0);
      for (const r of [c, b2]) await stop(r, 'SIGTERM');
    },
  );

  it('a zombie owner stopped mid-commit and resumed after its partitions moved corrupts nothing', { timeout: 600_000 }, async () => {
    const EVENTS = 6_000;
    const tenant = await createTenant('wzomb');
    tenants.push(tenant);
    await createPartitionedNamespace(tenant);
    client ??= newClient();
    const { seen, consumer, done } = await collect(client, tenant);
    const stopFile = join(mkdtempSync(join(tmpdir(), 'bl-zombie-')), 'stop');
    // A long transaction timeout: the zombie's transaction is still open when the survivor takes
    // over (the broker notices the stopped process by its keep-alive, 30-60 s).
    const zenv = { BL_REPLICA_TXN_TIMEOUT_MS: '60000', BL_REPLICA_STOP_FILE: stopFile };
    const z = await startReplica(tenant, 'replica-a', zenv);
    const s = await startReplica(tenant, 'replica-b', { BL_REPLICA_TXN_TIMEOUT_MS: '60000' });
    replicas.push(z, s);
    const { expected, done: produced, sent } = produce(client, tenant, EVENTS, 120, 200);
    const wait = (cond: () => boolean, ms: number, what: string): Promise<void> => waitOrDiagnose(cond, ms, what, tenant, replicas, sent);
    const ticker = setInterval(() => log(`${seen.size} outputs`), 10_000);
    await wait(() => seen.size >= EVENTS / 5, 300_000, 'a fifth of the outputs');
    writeFileSync(stopFile, '');
    await wait(() => z.lines.includes('stopping mid-commit'), 60_000, 'the zombie to stop itself mid-commit');
    const stoppedAt = seen.size;
    log(`replica-a stopped mid-commit at ${stoppedAt} outputs`);
    await wait(() => s.owned.length === PARTITIONS, 180_000, 'the survivor to own every partition');
    log(`replica-b owns every partition; ${seen.size} outputs`);
    // Let the survivor run into the zombie's pending acks before the zombie resumes.
    await new Promise((r) => setTimeout(r, 5_000));
    z.child.kill('SIGCONT');
    log('replica-a resumed (SIGCONT)');
    await produced;
    await wait(() => seen.size >= EVENTS, 180_000, 'every output').catch((err: unknown) => log(String(err)));
    clearInterval(ticker);
    dumpLogs([z, s]);
    expect(stoppedAt).toBeLessThan(EVENTS);
    await new Promise((r) => setTimeout(r, 2_000));
    await consumer.close();
    await done;
    await check(client, tenant, expected, seen);
    for (const r of [z, s]) await stop(r, 'SIGTERM');
  });
});
