/** pulsar:// and pulsar+ssl:// addresses. */
import { invalidUrlError } from '../../api/index.ts';

export interface BrokerAddress {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export function parseBrokerUrl(url: string): BrokerAddress {
  const m = /^(pulsar|pulsar\+ssl):\/\/(\[[^\]]+\]|[^:/,]+)(?::(\d+))?\/?$/.exec(url.trim());
  if (m === null) throw invalidUrlError(url);
  const tls = m[1] === 'pulsar+ssl';
  const host = (m[2] as string).replace(/^\[|\]$/g, '');
  const port = m[3] !== undefined ? Number(m[3]) : tls ? 6651 : 6650;
  return { url: `${m[1]}://${m[2]}:${port}`, host, port, tls };
}

/** A service url may list several hosts: `pulsar://a:6650,b:6650`. */
export function parseServiceUrl(url: string): BrokerAddress[] {
  const m = /^(pulsar|pulsar\+ssl):\/\/(.+)$/.exec(url.trim());
  if (m === null) throw invalidUrlError(url);
  return (m[2] as string)
    .replace(/\/$/, '')
    .split(',')
    .map((h) => parseBrokerUrl(`${m[1]}://${h}`));
}
