/** Helpers shared by the worker-*.test.ts integration tests (real broker, real worker). */
import { PulsarAdmin } from '../../functions/index.ts';
import { createClient, type Message, type PulsarClient } from '../../functions/pulsar/index.ts';
import { pulsarEnv, uniqueName, type PulsarEnv } from '../support/pulsar-env.ts';

export const env: PulsarEnv = pulsarEnv();
export const admin = new PulsarAdmin({ url: env.adminUrl, ...(env.token === undefined ? {} : { token: env.token }) });

export function newClient(): PulsarClient {
  return createClient({ serviceUrl: env.serviceUrl, ...(env.token ? { token: env.token } : {}), operationTimeoutMs: 15_000 });
}

/** The topics `beamline tenant apply` creates in a namespace (non-partitioned here). */
export const NAMESPACE_TOPICS = ['events', 'predictions', 'actions', 'review', 'dead-letter', 'state'] as const;

/** A fresh tenant for one test file; delete it with `admin.tenants.delete(tenant, { force: true })`. */
export async function createTenant(prefix: string): Promise<string> {
  const tenant = uniqueName(prefix);
  await admin.tenants.create(tenant, { adminRoles: [], allowedClusters: [env.cluster] });
  return tenant;
}

/**
 * Deletes a test tenant with everything in it. A namespace the broker is busy with (a failed
 * compaction, a closing system-topic producer) can refuse a forced delete; unloading its bundles
 * first lets the delete through.
 */
export async function deleteTenant(tenant: string): Promise<void> {
  try {
    await admin.tenants.delete(tenant, { force: true });
    return;
  } catch {
    // fall through: unload and retry once
  }
  const auth = env.token === undefined ? {} : { headers: { authorization: `Bearer ${env.token}` } };
  for (const ns of await admin.namespaces.list(tenant).catch(() => [] as string[])) {
    const bundles = (await (await fetch(`${env.adminUrl}/admin/v2/namespaces/${ns}/bundles`, auth)).json()) as { boundaries?: string[] };
    const b = bundles.boundaries ?? [];
    for (let i = 0; i + 1 < b.length; i++) {
      await fetch(`${env.adminUrl}/admin/v2/namespaces/${ns}/${b[i]}_${b[i + 1]}/unload`, { method: 'PUT', ...auth }).catch(() => undefined);
    }
  }
  await admin.tenants.delete(tenant, { force: true });
}

/** A namespace with the worker's topics. */
export async function createNamespace(tenant: string, namespace: string): Promise<void> {
  await admin.namespaces.create(`${tenant}/${namespace}`);
  for (const t of NAMESPACE_TOPICS) await admin.topics.createNonPartitioned(topic(tenant, namespace, t));
}

export function topic(tenant: string, namespace: string, name: string): string {
  return `persistent://${tenant}/${namespace}/${name}`;
}

/** Waits (polling a cheap in-process condition) until `cond()` holds; fails after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string, check?: () => void): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    check?.();
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  check?.();
}

/**
 * Every message on a topic, read from the start up to the last one the broker has (a reader
 * stops when `hasMessageAvailable()` says it has seen the last id).
 */
export async function readAll(client: PulsarClient, t: string): Promise<Message[]> {
  const reader = await client.createReader({ topic: t, startMessageId: 'earliest', receiverQueueSize: 1000 });
  const out: Message[] = [];
  try {
    while (await reader.hasMessageAvailable()) out.push(await reader.readNext(10_000));
  } finally {
    await reader.close();
  }
  return out;
}

export const parse = (m: Message): Record<string, unknown> => JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>;
