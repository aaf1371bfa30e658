/** Opening the TCP or TLS socket to a broker, with a connect timeout on the injected clock. */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import net from 'node:net';
import tls from 'node:tls';
import type { Clock } from '../../../clock.ts';
import { BeamlineError } from '../../../errors.ts';
import { timeoutError } from '../../api/index.ts';
import type { BrokerAddress } from './service-url.ts';
import type { TlsOptions } from '../../api/index.ts';

export type { TlsOptions } from '../../api/index.ts';

export function openSocket(
  address: BrokerAddress,
  tlsOptions: TlsOptions | undefined,
  clock: Clock,
  timeoutMs: number,
): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    let settled = false;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(timeoutError('connect', timeoutMs, { broker: address.url }));
    }, timeoutMs);
    const onConnect = (): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      resolve(socket);
    };
    const socket: net.Socket = address.tls
      ? tls.connect(
          {
            host: address.host,
            port: address.port,
            servername: net.isIP(address.host) === 0 ? address.host : undefined,
            ca: tlsOptions?.ca,
            cert: tlsOptions?.cert,
            key: tlsOptions?.key,
            rejectUnauthorized: tlsOptions?.rejectUnauthorized ?? true,
            ...(tlsOptions?.verifyHostname === false ? { checkServerIdentity: () => undefined } : {}),
          },
          onConnect,
        )
      : net.connect({ host: address.host, port: address.port }, onConnect);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      reject(connectFailedError(address, err));
    });
  });
}

/** Names the reason in the message: an untrusted certificate and a refused port need different fixes. */
function connectFailedError(address: BrokerAddress, err: NodeJS.ErrnoException): BeamlineError {
  const certificate = address.tls && /CERT|SIGNATURE|SELF_SIGNED|ALTNAME|ISSUER/.test(err.code ?? '');
  const why = certificate
    ? `TLS certificate verification failed (${err.message}); trust the CA that signed the broker's certificate with tls.ca`
    : err.message;
  return new BeamlineError(PULSAR_ERROR_CODES.connectFailed, `could not connect to the broker at ${address.url}: ${why}`, {
    retriable: true,
    cause: err,
    details: { broker: address.url, ...(err.code === undefined ? {} : { reason: err.code }) },
  });
}
