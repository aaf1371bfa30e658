/**
 * A REAL lookup redirect between two brokers, through Pulsar's peer-cluster mechanism: the `test`
 * broker (cluster `test`) and one this file starts (`redirect`, offset 150 by default: testBrokerOffset(50), its own cluster and
 * metadata store). On `test`, cluster `redirect` is registered and made a peer of `test`, and a
 * namespace's replication clusters are only `redirect`; the same tenant and namespace exist on
 * `redirect`. A lookup on `test` for a topic there answers Redirect (authoritative) to
 * `redirect`'s url, so our client, whose service url is `test`, produces to and consumes from
 * `redirect`.
 *
 * Partitioned topics: PARTITIONED_METADATA is NOT redirected; the service broker answers it from
 * its own metadata store (Pulsar assumes peers share one configuration store). With two stores,
 * `test` must hold the partition count too: an auto-creation override on the namespace there
 * makes it record 3 partitions, matching the partitioned topic created on `redirect`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulsarAdmin, createClient, type PulsarClient } from '@beamline/pulsar';
import { CommandType, LookupResponseType } from '../../functions/pulsar/wire/index.ts';
import { startBroker, stopBroker, type BrokerInfo } from '../../local-broker/index.ts';
import { pulsarEnv, testBrokerOffset, uniqueName } from '../support/pulsar-env.ts';
import { receiveN, roundTripKeyedAcrossPartitions } from '../support/receive.ts';

const NAME = 'redirect';
const OFFSET = testBrokerOffset(50);
const log = (line: string): void => void process.stderr.write(`[pulsar ${NAME}] ${line}\n`);

const home = pulsarEnv();
const tenant = uniqueName('peer');
const ns = `${tenant}/moved`;
const partsNs = `${tenant}/parts`;

let peer: BrokerInfo;
let adminHome: PulsarAdmin;
let adminPeer: PulsarAdmin;
let peersBefore: string[] = [];
const clients: PulsarClient[] = [];

/** Admin calls the admin client has no method for (peer clusters, auto-creation, ownership). */
async function rest(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${base}/admin/v2${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 400) throw new Error(`${method} ${base}${path}: ${res.status} ${await res.text()}`);
  return res;
}

beforeAll(async () => {
  // A run killed mid-way may have left this file's broker behind.
  await stopBroker(NAME);
  peer = await startBroker({ name: NAME, offset: OFFSET, log });
  adminHome = new PulsarAdmin({ url: home.adminUrl });
  adminPeer = new PulsarAdmin({ url: peer.adminUrl });

  const peerCluster = { serviceUrl: peer.adminUrl, brokerServiceUrl: peer.serviceUrl };
  if ((await adminHome.clusters.list()).includes(NAME)) await adminHome.clusters.update(NAME, peerCluster);
  else await adminHome.clusters.create(NAME, peerCluster);
  peersBefore = ((await adminHome.clusters.get(home.cluster))['peerClusterNames'] as string[] | undefined) ?? [];
  await rest(home.adminUrl, 'POST', `/clusters/${home.cluster}/peers`, [...new Set([...peersBefore, NAME])]);

  for (const admin of [adminHome, adminPeer]) await admin.tenants.create(tenant, { adminRoles: [], allowedClusters: [NAME] });
  for (const n of [ns, partsNs]) {
    await adminHome.namespaces.create(n, { replication_clusters: [NAME] });
    await adminPeer.namespaces.create(n);
  }
  await rest(home.adminUrl, 'POST', `/namespaces/${partsNs}/autoTopicCreation`, {
    allowAutoTopicCreation: true,
    topicType: 'partitioned',
    defaultNumPartitions: 3,
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  if (adminHome !== undefined) {
    // On `test` every call for these namespaces is redirected to `redirect` until they name
    // `test` again; only then can `test` delete its own copies.
    await adminHome.tenants.update(tenant, { adminRoles: [], allowedClusters: [home.cluster, NAME] }).catch(() => undefined);
    for (const n of [ns, partsNs]) await adminHome.namespaces.setReplicationClusters(n, [home.cluster]).catch(() => undefined);
    await adminHome.tenants.delete(tenant, { force: true }).catch(() => undefined);
    await rest(
      home.adminUrl,
      'POST',
      `/clusters/${home.cluster}/peers`,
      peersBefore.filter((p) => p !== NAME),
    ).catch(() => undefined);
    await rest(home.adminUrl, 'DELETE', `/clusters/${NAME}`).catch(() => undefined);
  }
  await stopBroker(NAME);
}, 60_000);

function client(): PulsarClient {
  const c = createClient({ serviceUrl: home.serviceUrl, operationTimeoutMs: 15_000 });
  clients.push(c);
  return c;
}

async function logicalUrls(c: PulsarClient): Promise<string[]> {
  return [...new Set((await c.pool.connections()).map((conn) => conn.logicalUrl))].sort();
}

async function ownedNamespaces(b: { adminUrl: string }, cluster: string): Promise<string[]> {
  const host = new URL(b.adminUrl).host;
  const owned = (await (await rest(b.adminUrl, 'GET', `/brokers/${cluster}/${host}/ownedNamespaces`)).json()) as Record<string, unknown>;
  return Object.keys(owned).map((bundle) => bundle.slice(0, bundle.lastIndexOf('/')));
}

describe('lookup redirect to a peer cluster (two real brokers)', () => {
  it('the home broker redirects lookups for the peer namespace, over HTTP and the binary protocol', async () => {
    const t = `persistent://${ns}/${uniqueName('probe')}`;
    const http = await fetch(`${home.adminUrl}/lookup/v2/topic/${t.replace('://', '/')}`, { redirect: 'manual' });
    expect(http.status).toBe(307);
    expect(http.headers.get('location')).toMatch(new RegExp(`^${peer.adminUrl}/lookup/v2/topic/`));

    const c = client();
    const conn = await c.pool.get(home.serviceUrl);
    const id = conn.newRequestId();
    const resp = await conn.request(
      { type: CommandType.LOOKUP, lookupTopic: { topic: t, request_id: id, authoritative: false } },
      id,
      'lookup',
    );
    expect(resp.lookupTopicResponse).toMatchObject({
      response: LookupResponseType.Redirect,
      brokerServiceUrl: peer.serviceUrl,
      authoritative: true,
    });
  });

  it('a client of the home broker produces and consumes on the peer; the messages live there', async () => {
    const t = `persistent://${ns}/${uniqueName('moved')}`;
    const c = client();
    const consumer = await c.subscribe({ topic: t, subscription: 's', initialPosition: 'Earliest' });
    const producer = await c.createProducer({ topic: t });
    for (let i = 0; i < 5; i++) await producer.send(`via-home-${i}`);
    const got = await receiveN(consumer, 5);
    expect(got.map((m) => m.payload.toString())).toEqual(['via-home-0', 'via-home-1', 'via-home-2', 'via-home-3', 'via-home-4']);
    for (const m of got) consumer.ack(m);

    // The service connection, and the peer's, which only the Redirect could have named.
    expect(await logicalUrls(c)).toEqual([home.serviceUrl, peer.serviceUrl].sort());
    const stats = await adminPeer.topics.getStats(t);
    expect(stats['msgInCounter']).toBe(5);
    expect(Object.keys(stats.subscriptions ?? {})).toEqual(['s']);
    expect(await ownedNamespaces(peer, NAME)).toContain(ns);
    expect(await ownedNamespaces(home, home.cluster)).not.toContain(ns);
  });

  it('PARTITIONED_METADATA is answered by the home broker from its own metadata, not redirected', async () => {
    const t = `persistent://${ns}/${uniqueName('only-on-peer')}`;
    await adminPeer.topics.createPartitioned(t, 3);
    const c = client();
    expect(await c.getPartitions(t)).toBe(0);
    expect(await logicalUrls(c)).toEqual([home.serviceUrl]);
  });

  it('a partitioned topic through the redirect: every partition on the peer', async () => {
    const t = `persistent://${partsNs}/${uniqueName('parts')}`;
    await adminPeer.topics.createPartitioned(t, 3);
    const c = client();
    // The home broker records the auto-created partition count; it matches the peer's.
    expect(await c.getPartitions(t)).toBe(3);
    await roundTripKeyedAcrossPartitions(c, t, 30, 3);

    expect(await logicalUrls(c)).toEqual([home.serviceUrl, peer.serviceUrl].sort());
    const stats = await adminPeer.topics.getPartitionedStats(t, { perPartition: true });
    const perPartition = Object.values(stats.partitions ?? {}).map((p) => Number(p['msgInCounter'] ?? 0));
    expect(perPartition).toHaveLength(3);
    expect(perPartition.every((n) => n > 0)).toBe(true);
    expect(perPartition.reduce((a, b) => a + b, 0)).toBe(30);
    expect(await ownedNamespaces(home, home.cluster)).not.toContain(partsNs);
  });
});
