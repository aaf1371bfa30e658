/** Topic names: `persistent://tenant/namespace/topic`, short forms default to public/default. */
import { BeamlineError } from '../../errors.ts';

export interface TopicName {
  readonly domain: 'persistent' | 'non-persistent';
  readonly tenant: string;
  readonly namespace: string;
  readonly local: string;
  /** Full name, e.g. persistent://public/default/orders-partition-2 */
  readonly full: string;
  /** -1 unless the name is a partition. */
  readonly partition: number;
  /** Full name without the -partition-N suffix. */
  readonly base: string;
}

const PARTITION = /-partition-(\d+)$/;

export function parseTopicName(name: string): TopicName {
  let domain: 'persistent' | 'non-persistent' = 'persistent';
  let rest = name;
  const m = /^(persistent|non-persistent):\/\/(.*)$/.exec(name);
  if (m !== null) {
    domain = m[1] as 'persistent' | 'non-persistent';
    rest = m[2] as string;
  }
  const parts = rest.split('/');
  let tenant: string;
  let ns: string;
  let local: string;
  if (parts.length === 1 && m === null) {
    tenant = 'public';
    ns = 'default';
    local = parts[0] as string;
  } else if (parts.length >= 3) {
    tenant = parts[0] as string;
    ns = parts[1] as string;
    local = parts.slice(2).join('/');
  } else {
    throw new BeamlineError('BL_PULSAR_INVALID_TOPIC_NAME', 'topic must be a short name or domain://tenant/namespace/topic', {
      details: { topic: name },
    });
  }
  if (tenant === '' || ns === '' || local === '') {
    throw new BeamlineError('BL_PULSAR_INVALID_TOPIC_NAME', 'topic name has an empty part', { details: { topic: name } });
  }
  const full = `${domain}://${tenant}/${ns}/${local}`;
  const pm = PARTITION.exec(local);
  const partition = pm === null ? -1 : Number(pm[1]);
  const base = pm === null ? full : full.slice(0, full.length - (pm[0] as string).length);
  return { domain, tenant, namespace: ns, local, full, partition, base };
}

export function partitionTopic(full: string, index: number): string {
  return `${full}-partition-${index}`;
}
