/** Helpers shared by the client-*.test.ts integration tests (real broker). */
import { createClient, type ClientOptions, type PulsarClient } from '@beamline/pulsar';
import { pulsarEnv, uniqueName } from '../support/pulsar-env.ts';

export const env = pulsarEnv();

export function newClient(extra: Partial<ClientOptions> = {}): PulsarClient {
  return createClient({ serviceUrl: env.serviceUrl, ...(env.token ? { token: env.token } : {}), operationTimeoutMs: 15_000, ...extra });
}

const created: string[] = [];

/** A unique topic in public/default, deleted (with partitions and -DLQ topics) by cleanupTopics(). */
export function topicName(prefix: string): string {
  const t = `persistent://public/default/${uniqueName(prefix)}`;
  created.push(t);
  return t;
}

/** Force-delete every topic this file created, including partitions and derived topics. */
export async function cleanupTopics(): Promise<void> {
  const names = created.splice(0);
  const partitioned = (await (await admin('GET', '/persistent/public/default/partitioned')).json()) as string[];
  const all = (await (await admin('GET', '/persistent/public/default')).json()) as string[];
  const ours = (t: string): boolean => names.some((n) => t === n || t.startsWith(`${n}-`));
  for (const t of partitioned.filter(ours)) await admin('DELETE', `${restPath(t)}/partitions?force=true`);
  for (const t of all.filter(ours)) await admin('DELETE', `${restPath(t)}?force=true`);
}

export async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${env.adminUrl}/admin/v2${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(env.token === undefined ? {} : { authorization: `Bearer ${env.token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** `persistent://public/default/x` -> `/persistent/public/default/x` */
export function restPath(topic: string): string {
  return '/' + topic.replace('://', '/');
}

export async function createPartitionedTopic(topic: string, partitions: number): Promise<void> {
  const r = await admin('PUT', `${restPath(topic)}/partitions`, partitions);
  if (r.status !== 204) throw new Error(`create partitioned topic: ${r.status} ${await r.text()}`);
}

export async function subscriptions(topic: string): Promise<string[]> {
  const r = await admin('GET', `${restPath(topic)}/subscriptions`);
  return (await r.json()) as string[];
}

/** Trigger compaction and wait until it finishes. */
export async function compact(topic: string): Promise<void> {
  const r = await admin('PUT', `${restPath(topic)}/compaction`);
  if (r.status !== 204) throw new Error(`compaction: ${r.status} ${await r.text()}`);
  for (let i = 0; i < 120; i++) {
    const s = (await (await admin('GET', `${restPath(topic)}/compaction`)).json()) as { status: string; lastError?: string };
    if (s.status === 'SUCCESS') return;
    if (s.status === 'ERROR') throw new Error(`compaction failed: ${s.lastError}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error('compaction did not finish');
}
