/**
 * `beamline top` against a real worker on the shared broker: `--once -o json` checked field by
 * field while payments (one in five malformed) flow, and a pseudo-terminal run (util-linux
 * `script`) that draws the namespace's live figures in place. The same running worker shows that
 * a second replica of a namespace whose `events` topic is not partitioned is refused (#17).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../functions/control-plane.ts';
import { avroSchema, type Producer } from '../../functions/pulsar/index.ts';
import { startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import { main } from '../../cli/main.ts';
import type { TopRow } from '../../tenants/top/index.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, topic, waitFor } from './worker-support.ts';

const PAYMENT = {
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
};
const payment = avroSchema<{ card: string; amount: number }>(PAYMENT);
const repo = join(import.meta.dirname, '..', '..');

const client = newClient();
let tenant = '';
let running: RunningWorker | undefined;
let producer: Producer | undefined;
let metricsUrl = '';
let sent = 0;
let flowing = false;
let flow: Promise<void> = Promise.resolve();

/** Keeps payments flowing (every fifth one malformed) until stopped, so rates are not zero. */
function startFlow(): void {
  flowing = true;
  flow = (async () => {
    while (flowing) {
      const i = sent++;
      const bad = i % 5 === 4;
      await producer?.send({
        key: `card-${i % 7}`,
        payload: bad ? Buffer.from([0xff, 0x01]) : payment.encode({ card: `card-${i % 7}`, amount: i }),
      });
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
}

async function stopFlow(): Promise<void> {
  flowing = false;
  await flow;
}

beforeAll(async () => {
  tenant = await createTenant('top');
  await createNamespace(tenant, 'ns');
  await admin.schemas.post(topic(tenant, 'ns', 'events'), {
    type: 'AVRO',
    data: JSON.stringify(PAYMENT),
    properties: { __alwaysAllowNull: 'true', __jsr310ConversionEnabled: 'false' },
  });
  running = await startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace: 'ns',
    httpPort: 0,
    sloDecisionLatencyMs: 250,
    handler: { process: (r, ctx) => ctx.emit({ card: (r.value as { card: string }).card }) },
    log: silentLogger,
  });
  metricsUrl = `http://127.0.0.1:${running.http?.port ?? 0}/metrics`;
  producer = await client.createProducer({ topic: topic(tenant, 'ns', 'events') });
  startFlow();
  // Decisions have been made before the first look.
  await waitFor(() => (running?.worker.processed ?? 0) >= 50, 60_000, '50 records processed');
}, 180_000);

afterAll(async () => {
  await stopFlow();
  await producer?.close();
  await running?.stop();
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += `${t}\n`), stderr: (t) => (err += `${t}\n`), env: {} });
  return { code, out, err };
}

describe('beamline top', () => {
  it('--once -o json reports the namespace from the worker and the broker, field by field', async () => {
    const token = env.token === undefined ? [] : ['--token', env.token];
    const { code, out, err } = await cli([
      'top',
      '--once',
      '-o',
      'json',
      '-t',
      tenant,
      '-m',
      metricsUrl,
      '--admin-url',
      env.adminUrl,
      '--service-url',
      env.serviceUrl,
      ...token,
      '--interval-ms',
      '1500',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const body = JSON.parse(out) as { ok: boolean; sort: string; namespaces: TopRow[]; endpoints: Array<{ url: string; ok: boolean }> };
    expect(body.ok).toBe(true);
    expect(body.sort).toBe('namespace');
    expect(body.endpoints).toEqual([{ url: metricsUrl, ok: true }]);
    expect(body.namespaces).toHaveLength(1);
    const row = body.namespaces[0] as TopRow;
    expect(row.tenant).toBe(tenant);
    expect(row.namespace).toBe('ns');
    expect(row.workers).toBe(1);
    // ~100 payments a second are flowing (a slow machine sends fewer, never none).
    expect(row.inputPerSec).toBeGreaterThan(0);
    expect(row.brokerInputPerSec).toBeGreaterThanOrEqual(0);
    expect(typeof row.backlog).toBe('number');
    expect(row.backlog).toBeGreaterThanOrEqual(0);
    expect(row.decisionP50Ms).toBeGreaterThan(0);
    expect(row.decisionP99Ms).toBeGreaterThanOrEqual(row.decisionP50Ms as number);
    expect(row.sloBoundMs).toBe(250);
    // No model behind this worker: no batches, versions or breaker to show.
    expect(row.batchFill).toBeNull();
    expect(row.models).toEqual([]);
    expect(row.breaker).toBeNull();
    expect(row.reviewPerSec).toBeNull();
    // --service-url: the review topic was read (it exists and is empty), not left unknown.
    expect(row.reviewQueue).toBe(0);
    // One payment in five is malformed and dead-lettered.
    expect(row.deadLetterPerSec).toBeGreaterThan(0);
    expect(row.deadLetterPerSec).toBeLessThan(row.inputPerSec as number);
    expect(row.replicationBacklog).toBeNull();
  });

  it('names a bad flag value and the fix', async () => {
    const { code, err } = await cli(['top', '--once', '-m', 'worker:9464']);
    expect(code).toBe(2);
    expect(err).toMatch(/--metrics-url: invalid value "worker:9464"; give a worker's metrics URL/);
    const sort = await cli(['top', '--once', '-m', metricsUrl, '--sort', 'speed']);
    expect(sort.err).toMatch(/--sort: invalid value "speed"; use one of namespace, workers, in, backlog/);
  });

  it('draws the live figures in place on a pseudo-terminal', async () => {
    const cmd = `node bin/beamline.js top -t ${tenant} -m ${metricsUrl} --sort p99 --interval-ms 1000 --count 3`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd: repo,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'xterm' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);
    // The alternate screen, cleared and redrawn once a frame.
    expect(out).toContain('\x1b[?1049h');
    expect(out.split('\x1b[H\x1b[2J').length - 1).toBe(3);
    const lastFrame = out.slice(out.lastIndexOf('\x1b[H\x1b[2J'));
    expect(lastFrame).toContain('P99msv');
    const row = lastFrame.split(/\r?\n/).find((l) => l.startsWith(`${tenant}/ns`));
    expect(row, lastFrame).toBeDefined();
    // workers 1, a positive input rate, the 250 ms bound; rates come from the second frame on.
    const cells = (row as string).trim().split(/\s+/);
    expect(cells[1]).toBe('1');
    expect(Number(cells[2])).toBeGreaterThan(0);
    expect(cells).toContain('250');
  }, 60_000);
});

describe('a namespace without partitions runs one replica (#17)', () => {
  it('a second worker is refused while the first reads the subscription, naming the fix', async () => {
    const second = startWorker({
      serviceUrl: env.serviceUrl,
      adminUrl: env.adminUrl,
      ...(env.token === undefined ? {} : { token: env.token }),
      tenant,
      namespace: 'ns',
      httpPort: -1,
      handler: { process: (r, ctx) => ctx.emit(r.value) },
      log: silentLogger,
    });
    await expect(second).rejects.toMatchObject({ code: 'BL_WORKER_SECOND_REPLICA', retriable: true });
    await expect(second).rejects.toThrow(/is not partitioned and 1 consumer\(s\) already read it.*partition its events and state topics/);
    // The first one is untouched.
    const before = running?.worker.processed ?? 0;
    await waitFor(() => (running?.worker.processed ?? 0) > before, 30_000, 'the first worker to go on deciding');
  }, 60_000);
});
