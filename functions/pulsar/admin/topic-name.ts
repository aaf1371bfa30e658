import { ConfigError } from '../../errors.ts';

export interface TopicName {
  readonly persistent: boolean;
  readonly tenant: string;
  readonly namespace: string;
  readonly local: string;
  /** `persistent://tenant/namespace/local` */
  readonly full: string;
  /** URL path part `persistent/tenant/namespace/local`, each segment encoded. */
  readonly restPath: string;
}

/** Parse `persistent://t/ns/x`, `non-persistent://t/ns/x` or the short `t/ns/x`. */
export function parseTopicName(name: string): TopicName {
  const m = /^(?:(persistent|non-persistent):\/\/)?([^/]+)\/([^/]+)\/([^/]+)$/.exec(name);
  if (m === null) {
    throw new ConfigError('topic', name, 'use persistent://tenant/namespace/topic or tenant/namespace/topic');
  }
  const persistent = m[1] !== 'non-persistent';
  const tenant = m[2] ?? '';
  const namespace = m[3] ?? '';
  const local = m[4] ?? '';
  const domain = persistent ? 'persistent' : 'non-persistent';
  return Object.freeze({
    persistent,
    tenant,
    namespace,
    local,
    full: `${domain}://${tenant}/${namespace}/${local}`,
    restPath: `${domain}/${enc(tenant)}/${enc(namespace)}/${enc(local)}`,
  });
}

/** `tenant/namespace` as a URL path, each segment encoded. */
export function namespacePath(namespace: string): string {
  const parts = namespace.split('/');
  if (parts.length !== 2 || parts.some((p) => p === '')) {
    throw new ConfigError('namespace', namespace, 'use tenant/namespace');
  }
  return parts.map(enc).join('/');
}

export function enc(segment: string): string {
  return encodeURIComponent(segment);
}
