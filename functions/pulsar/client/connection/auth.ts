/** Token authentication: a static token or an async provider asked again on every AUTH_CHALLENGE. */
import { createHash } from 'node:crypto';
import type { TokenSource } from '../../api/index.ts';

export type { TokenSource } from '../../api/index.ts';

const providerIds = new WeakMap<object, number>();
let nextProviderId = 1;

/** A stable identity for pooling: connections are shared only between equal credentials. */
export function authIdentity(token: TokenSource | undefined): string {
  if (token === undefined) return 'anonymous';
  if (typeof token === 'string') return `token:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
  let id = providerIds.get(token);
  if (id === undefined) {
    id = nextProviderId++;
    providerIds.set(token, id);
  }
  return `provider:${id}`;
}

export async function resolveToken(token: TokenSource): Promise<string> {
  return typeof token === 'string' ? token : await token();
}
