import { PulsarAdmin } from '../../functions/index.ts';
import { usageError } from './io.ts';

/** An admin client from `--admin-url/--token` or `PULSAR_ADMIN_URL/PULSAR_TOKEN`. */
export function adminFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>): PulsarAdmin {
  const url = flags['admin-url'];
  if (typeof url !== 'string') throw usageError('no cluster address: pass --admin-url http://host:8080 or set PULSAR_ADMIN_URL');
  const token = flags['token'];
  const timeout = flags['timeout-ms'];
  const timeoutMs = typeof timeout === 'string' ? Number(timeout) : undefined;
  return new PulsarAdmin({ url, ...(typeof token === 'string' ? { token } : {}), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}
