/**
 * The bridge's refusals and outages (#24), in-process against pstest and the shared broker:
 * messages either direction cannot carry reach the namespace's dead-letter topic with their
 * reasons, and a Pub/Sub outage stalls only the sink (scoring's writes go on), which catches up
 * once Pub/Sub is back.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import {
  avroSchema,
  compileKeyring,
  newKeyringDocument,
  openDeadLetter,
  PulsarAdmin,
  type DeadLetterContent,
  type DeadLetterRecord,
  type PulsarClient,
} from '../../functions/control-plane.ts';
import { PULSAR_ID_ATTRIBUTE, PubsubSink, PubsubSource, type BridgeDeadLetter } from '../../bridge/index.ts';
import { createConnection, createServer, type Socket } from 'node:net';
import { PubSub } from '@google-cloud/pubsub';
import { PROJECT, sleep, startFake, stopFake, type Fake } from './bridge-support.ts';
import { createNamespace, createTenant, deleteTenant, env, newClient, readAll, topic, waitFor } from './worker-support.ts';

const SCHEMA = {
  type: 'record',
  name: 'Card',
  fields: [
    { name: 'n', type: 'int' },
    { name: 'card', type: 'string' },
  ],
};

describe('pubsub bridge dead letters and outages', () => {
  let tenant = '';
  // #21: dead letters are sealed under the tenant key; only a holder of the keys opens them.
  const keysDoc = newKeyringDocument('bridge-k1');
  const keyring = compileKeyring(keysDoc, 'test keys');
  const keysFile = join(mkdtempSync(join(tmpdir(), 'bl-bdlq-')), 'keys.json');
  writeFileSync(keysFile, JSON.stringify(keysDoc), { mode: 0o600 });
  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      env: {
        PULSAR_SERVICE_URL: env.serviceUrl,
        PULSAR_ADMIN_URL: env.adminUrl,
        BEAMLINE_KEYS_FILE: keysFile,
        ...(env.token === undefined ? {} : { PULSAR_TOKEN: env.token }),
      },
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
    };
    const code = await main(argv, io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const open = (d: BridgeDeadLetter): DeadLetterContent => openDeadLetter(d as unknown as DeadLetterRecord, keyring);
  let fake: Fake | undefined;
  let client: PulsarClient;
  const admin = new PulsarAdmin({ url: env.adminUrl, ...(env.token === undefined ? {} : { token: env.token }) });
  beforeAll(async () => {
    tenant = await createTenant('bdlq');
    await createNamespace(tenant, 'ns');
    client = newClient();
    fake = await startFake();
    // The first start on a machine builds the fake from its Go module (minutes on 2 cores).
  }, 600_000);
  afterAll(async () => {
    await client?.close();
    await stopFake(fake);
    if (tenant !== '') await deleteTenant(tenant);
  });

  async function deadLetters(): Promise<BridgeDeadLetter[]> {
    return (await readAll(client, topic(tenant, 'ns', 'dead-letter'))).map(
      (m) => JSON.parse(m.payload.toString('utf8')) as BridgeDeadLetter,
    );
  }

  it('source: no ordering key, a payload the schema refuses, non-JSON data and oversized attributes go to the dead-letter topic with reasons', async () => {
    const events = topic(tenant, 'ns', 'events');
    await admin.schemas.post(events, { type: 'AVRO', data: JSON.stringify(SCHEMA) });
    const [t] = await fake!.pubsub.createTopic('raw-cards');
    await t.createSubscription('raw-cards-bridge', { enableMessageOrdering: true });
    const source = new PubsubSource(
      { subscription: `projects/${PROJECT}/subscriptions/raw-cards-bridge`, to: `${tenant}/ns/events`, maxAttributeBytes: 4096 },
      { client, admin, pubsub: fake!.pubsub, keyring },
    );
    await source.start();
    const pub = fake!.pubsub.topic('raw-cards', { messageOrdering: true });
    await pub.publishMessage({ json: { n: 1, card: 'c1' }, orderingKey: 'c1', attributes: { via: 'test' } });
    await pub.publishMessage({ json: { n: 2, card: 'c2' } });
    await pub.publishMessage({ json: { n: 'three', card: 'c3' }, orderingKey: 'RIDER9PLANT3Q' });
    await pub.publishMessage({ data: Buffer.from('{not json'), orderingKey: 'c4' });
    await pub.publishMessage({ json: { n: 5, card: 'c5' }, orderingKey: 'c5', attributes: { blob: 'x'.repeat(5000) } });
    await waitFor(() => source.stats.produced + source.stats.deadLettered >= 5, 60_000, 'all five settled');
    await source.close();
    expect(source.stats).toMatchObject({ produced: 1, deadLettered: 4 });

    const [good, ...rest] = await readAll(client, events);
    expect(rest).toHaveLength(0);
    expect(good?.key).toBe('c1');
    expect(good?.properties['via']).toBe('test');
    expect(avroSchema(SCHEMA).decode(good!.payload)).toEqual({ n: 1, card: 'c1' });

    const dead = await deadLetters();
    const byReason = new Map(dead.map((d) => [d.reason, d]));
    expect([...byReason.keys()].sort()).toEqual(['attributes-too-large', 'decode-error', 'missing-ordering-key', 'schema-mismatch']);
    const content = (reason: string): DeadLetterContent => open(byReason.get(reason as BridgeDeadLetter['reason']) as BridgeDeadLetter);
    expect(content('missing-ordering-key').errorMessage).toMatch(/no ordering key/);
    expect(content('schema-mismatch').errorMessage).toMatch(/n/);
    expect(content('schema-mismatch').key).toBe('RIDER9PLANT3Q');
    expect(content('attributes-too-large').errorMessage).toMatch(/over maxAttributeBytes 4096/);
    expect(Buffer.from(content('decode-error').payloadBase64, 'base64').toString()).toBe('{not json');
    for (const d of dead) {
      expect(d.topic).toBe(`projects/${PROJECT}/subscriptions/raw-cards-bridge`);
      // Nothing of the original in the clear: the ordering key (raw input) and the data are sealed.
      expect(d).toMatchObject({ key: null, sealed: { kid: 'bridge-k1' } });
    }
    const raw = (await readAll(client, topic(tenant, 'ns', 'dead-letter'))).map((m) => m.payload.toString('latin1') + (m.key ?? ''));
    // `beamline dlq` reads the bridge's dead letters like the worker's: listed, opened with the
    // keys; replay refuses what came from Pub/Sub (its data goes back through Pub/Sub).
    const ns = ['-t', tenant, '-n', 'ns'];
    const listed = await cli('dlq', 'list', ...ns);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toContain('4 dead letter(s)');
    const decodeError = byReason.get('decode-error') as BridgeDeadLetter;
    const shown = await cli('dlq', 'show', decodeError.messageId, ...ns, '--decrypt');
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain('payload: {not json');
    const replay = await cli('dlq', 'replay', '--all', ...ns);
    expect(replay.code).toBe(2);
    expect(replay.err).toContain('came from Pub/Sub');
    for (const planted of ['RIDER9PLANT3Q', '{not json', 'x'.repeat(100)])
      expect(
        raw.some((r) => r.includes(planted)),
        planted,
      ).toBe(false);
  });

  it('sink: a message without a key and one whose properties Pub/Sub would refuse go to the dead-letter topic', async () => {
    const before = (await deadLetters()).length;
    const [t] = await fake!.pubsub.createTopic('decisions');
    const [check] = await t.createSubscription('decisions-check', { enableMessageOrdering: true });
    const got: { data: string; key: string | undefined; id: string | undefined }[] = [];
    check.on('message', (m) => {
      got.push({ data: m.data.toString(), key: m.orderingKey, id: m.attributes[PULSAR_ID_ATTRIBUTE] });
      m.ack();
    });
    const producer = await client.createProducer({ topic: topic(tenant, 'ns', 'actions') });
    const goodId = await producer.send({ key: 'c1', payload: '{"action":"block"}' });
    await producer.send({ payload: '{"action":"block"}' });
    await producer.send({ key: 'c2', payload: '{"action":"block"}', properties: { note: 'y'.repeat(2000) } });
    await producer.close();
    const sink = new PubsubSink(
      { from: `${tenant}/ns/actions`, topic: `projects/${PROJECT}/topics/decisions` },
      { client, admin, pubsub: fake!.pubsub, keyring },
    );
    await sink.start();
    await waitFor(() => sink.stats.published + sink.stats.deadLettered >= 3 && got.length >= 1, 60_000, 'all three settled');
    await sink.close();
    await check.close();
    expect(sink.stats).toMatchObject({ published: 1, deadLettered: 2 });
    expect(got).toEqual([{ data: '{"action":"block"}', key: 'c1', id: goodId.toString() }]);
    const dead = (await deadLetters()).slice(before);
    expect(dead.map((d) => d.reason).sort()).toEqual(['missing-ordering-key', 'pubsub-refused']);
    const refused = dead.find((d) => d.reason === 'pubsub-refused') as BridgeDeadLetter;
    // The sink's key is an output key (tokenized upstream where it is personal): kept in the clear.
    expect(refused).toMatchObject({ key: 'c2', topic: topic(tenant, 'ns', 'actions') });
    expect(open(refused).errorMessage).toMatch(/attribute "note" is 2000 bytes/);
  });

  it(
    'sink: a Pub/Sub outage holds only the sink; predictions keep being written, and the sink catches up in order',
    { timeout: 180_000 },
    async () => {
      // The sink reaches pstest through a TCP proxy the test can cut (the fake keeps its state).
      const proxy = await tcpProxy(fake!.fake.host);
      const ps = new PubSub({ projectId: PROJECT, apiEndpoint: proxy.host, emulatorMode: true });
      const [t] = await fake!.pubsub.createTopic('outage');
      const [sub] = await t.createSubscription('outage-check', { enableMessageOrdering: true });
      const seen = new Map<string, number[]>();
      sub.on('message', (m) => {
        const v = JSON.parse(m.data.toString()) as { n: number; key: string };
        seen.set(v.key, [...(seen.get(v.key) ?? []), v.n]);
        m.ack();
      });
      const sink = new PubsubSink(
        {
          from: `${tenant}/ns/predictions`,
          topic: `projects/${PROJECT}/topics/outage`,
          initialBackoffMs: 100,
          maxBackoffMs: 2000,
          breakerResetMs: 1000,
          publishTimeoutMs: 3000,
        },
        { client, admin, pubsub: ps },
      );
      await sink.start();
      proxy.setUp(false); // Pub/Sub is unreachable
      const producer = await client.createProducer({ topic: topic(tenant, 'ns', 'predictions') });
      // "Scoring" writes 200 predictions while Pub/Sub is down: its sends never wait on the sink.
      const t0 = Date.now();
      for (let n = 0; n < 200; n++) await producer.send({ key: `k${n % 4}`, payload: JSON.stringify({ n, key: `k${n % 4}` }) });
      expect(Date.now() - t0).toBeLessThan(30_000);
      await waitFor(() => sink.stats.failedPublishes > 0, 60_000, 'the sink noticing the outage');
      expect(sink.stats.published).toBe(0);
      await sleep(3000);

      proxy.setUp(true);
      await waitFor(() => [...seen.values()].reduce((a, l) => a + new Set(l).size, 0) >= 200, 150_000, 'the sink catching up');
      expect(sink.stats.rewinds).toBeGreaterThan(0);
      expect(seen.size).toBe(4);
      for (const list of seen.values()) {
        const firsts = list.filter((n, i) => list.indexOf(n) === i);
        expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
      }
      await sink.close();
      await producer.close();
      await sub.close();
      await ps.close();
      await proxy.close();
    },
  );
});

/** A TCP proxy that can refuse and cut every connection, to make Pub/Sub unreachable. */
async function tcpProxy(target: string): Promise<{ host: string; setUp(up: boolean): void; close(): Promise<void> }> {
  const [thost, tport] = target.split(':') as [string, string];
  let up = true;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((c) => {
    track(c);
    if (!up) return void c.destroy();
    const u = createConnection(Number(tport), thost);
    track(u);
    c.pipe(u);
    u.pipe(c);
    c.on('close', () => u.destroy());
    u.on('close', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    host: `127.0.0.1:${addr.port}`,
    setUp(v) {
      up = v;
      if (!v) for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
