/**
 * Topic names, the one parser for the whole package (client, native client and admin REST
 * paths): `persistent://tenant/namespace/topic`, `non-persistent://…`, `tenant/namespace/topic`,
 * or a bare `topic`, which lives in public/default as on the broker.
 */
import { BeamlineError, ConfigError } from '../../errors.ts';
import { PULSAR_ERROR_CODES } from '../errors.ts';

export interface TopicName {
  readonly domain: 'persistent' | 'non-persistent';
  /** domain === 'persistent' */
  readonly persistent: boolean;
  readonly tenant: string;
  readonly namespace: string;
  readonly local: string;
  /** Full name, e.g. persistent://public/default/orders-partition-2 */
  readonly full: string;
  /** -1 unless the name is a partition. */
  readonly partition: number;
  /** Full name without the -partition-N suffix. */
  readonly base: string;
  /** Admin REST path part `persistent/tenant/namespace/local`, each segment URL-encoded. */
  readonly restPath: string;
}

const PARTITION = /-partition-(\d+)$/;
const FIX = 'use a bare topic name (public/default), tenant/namespace/topic or persistent://tenant/namespace/topic';
const FIX_QUALIFIED = 'use persistent://tenant/namespace/topic or tenant/namespace/topic';

export interface ParseTopicNameOptions {
  /**
   * Accept a bare `topic` as public/default/topic. The admin client (and tools that pass it
   * names from users) pass false: an admin call names its tenant and namespace, never lands on
   * public/default by omission, and a bad name is a configuration error (ConfigError,
   * BL_CONFIG_INVALID, field `topic`) that command-line tools report as a usage error.
   * @default true
   */
  readonly allowBare?: boolean;
}

function invalid(name: string, why: string, qualified: boolean): BeamlineError {
  if (qualified) return new ConfigError('topic', name, FIX_QUALIFIED);
  return new BeamlineError(PULSAR_ERROR_CODES.invalidTopicName, `topic: invalid value ${JSON.stringify(name)} (${why}); ${FIX}`, {
    retriable: false,
    details: { field: 'topic', topic: name },
  });
}

/**
 * Parse and normalise a topic name. A malformed one throws BL_PULSAR_INVALID_TOPIC_NAME (or, with
 * `allowBare: false`, a ConfigError) naming the value and the accepted forms.
 */
export function parseTopicName(name: string, options: ParseTopicNameOptions = {}): TopicName {
  const qualified = options.allowBare === false;
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
    if (qualified) throw invalid(name, 'a bare name', qualified);
    tenant = 'public';
    ns = 'default';
    local = parts[0] as string;
  } else if (parts.length >= 3) {
    tenant = parts[0] as string;
    ns = parts[1] as string;
    local = parts.slice(2).join('/');
  } else {
    throw invalid(name, 'not a bare name and not domain://tenant/namespace/topic', qualified);
  }
  if (tenant === '' || ns === '' || local === '') throw invalid(name, 'a part is empty', qualified);
  const full = `${domain}://${tenant}/${ns}/${local}`;
  const pm = PARTITION.exec(local);
  const partition = pm === null ? -1 : Number(pm[1]);
  const base = pm === null ? full : full.slice(0, full.length - (pm[0] as string).length);
  const restPath = `${domain}/${encodeURIComponent(tenant)}/${encodeURIComponent(ns)}/${encodeURIComponent(local)}`;
  return Object.freeze({ domain, persistent: domain === 'persistent', tenant, namespace: ns, local, full, partition, base, restPath });
}

/** The name of partition `index` of a partitioned topic. */
export function partitionTopic(full: string, index: number): string {
  return `${full}-partition-${index}`;
}
