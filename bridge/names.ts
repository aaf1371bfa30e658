/** Resource names on both sides, checked up front so a typo fails with the fix, not at run time. */
import { ConfigError } from '../functions/index.ts';

export interface PubsubName {
  readonly project: string;
  readonly name: string;
  /** The full resource name, `projects/P/subscriptions/S` or `projects/P/topics/X`. */
  readonly path: string;
}

const ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

function parsePubsub(field: string, value: string, kind: 'subscriptions' | 'topics'): PubsubName {
  const m = /^projects\/([^/]+)\/([a-z]+)\/([^/]+)$/.exec(value);
  if (m === null || m[2] !== kind || m[1] === undefined || m[3] === undefined || !ID.test(m[3])) {
    throw new ConfigError(field, value, `use projects/PROJECT/${kind}/NAME (NAME: 3-255 characters, starting with a letter)`);
  }
  return Object.freeze({ project: m[1], name: m[3], path: value });
}

export function parseSubscriptionName(field: string, value: string): PubsubName {
  return parsePubsub(field, value, 'subscriptions');
}

export function parsePubsubTopicName(field: string, value: string): PubsubName {
  return parsePubsub(field, value, 'topics');
}

export interface NamespaceTopic {
  readonly tenant: string;
  readonly namespace: string;
  readonly topic: string;
  /** persistent://T/NS/topic */
  readonly fullName: string;
  /** The namespace's dead-letter topic, persistent://T/NS/dead-letter. */
  readonly deadLetter: string;
}

/** `T/NS/topic` or `persistent://T/NS/topic`. */
export function parseNamespaceTopic(field: string, value: string): NamespaceTopic {
  const m = /^(?:persistent:\/\/)?([A-Za-z0-9_.=:-]+)\/([A-Za-z0-9_.=:-]+)\/([A-Za-z0-9_.=:-]+)$/.exec(value);
  if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) {
    throw new ConfigError(field, value, 'use TENANT/NAMESPACE/TOPIC, e.g. acme-payments/central/events');
  }
  const [tenant, namespace, topic] = [m[1], m[2], m[3]];
  return Object.freeze({
    tenant,
    namespace,
    topic,
    fullName: `persistent://${tenant}/${namespace}/${topic}`,
    deadLetter: `persistent://${tenant}/${namespace}/dead-letter`,
  });
}
