/** Admin REST URL path parts (topic names: functions/pulsar/topic). */
import { ConfigError } from '../../errors.ts';

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

/** Admin calls name their tenant and namespace: a bare topic name is refused, not put in public/default. */
export const ADMIN_TOPIC = Object.freeze({ allowBare: false });
