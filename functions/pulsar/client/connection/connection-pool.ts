/**
 * One shared connection per (logical broker, physical address, auth identity): every producer,
 * consumer and lookup of a client to the same broker multiplexes over it.
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import { BeamlineError } from '../../../errors.ts';
import { authIdentity } from './auth.ts';
import { Connection, type ConnectionSettings } from './connection.ts';
import { parseBrokerUrl } from './service-url.ts';

export type PoolOptions = ConnectionSettings;

export class ConnectionPool {
  readonly #o: PoolOptions;
  readonly #identity: string;
  readonly #conns = new Map<string, Promise<Connection>>();
  #closed = false;

  constructor(o: PoolOptions) {
    this.#o = o;
    this.#identity = authIdentity(o.token);
  }

  /** Number of distinct pooled connections (open or opening). */
  get size(): number {
    return this.#conns.size;
  }

  /**
   * The connection for `logicalUrl`, opened on first use. When `physicalUrl` differs (a proxy),
   * CONNECT carries proxy_to_broker_url so the proxy forwards to the logical broker.
   */
  get(logicalUrl: string, physicalUrl: string = logicalUrl): Promise<Connection> {
    const key = `${logicalUrl}|${physicalUrl}|${this.#identity}`;
    const existing = this.#conns.get(key);
    if (existing !== undefined) return existing;
    const proxied = logicalUrl !== physicalUrl;
    const p = Connection.create({
      physical: parseBrokerUrl(physicalUrl),
      logicalUrl,
      proxyToBrokerUrl: proxied ? logicalUrl.replace(/^pulsar(\+ssl)?:\/\//, '') : undefined,
      token: this.#o.token,
      tls: this.#o.tls,
      clock: this.#o.clock,
      ticker: this.#o.ticker,
      operationTimeoutMs: this.#o.operationTimeoutMs,
      connectTimeoutMs: this.#o.connectTimeoutMs,
      keepAliveIntervalMs: this.#o.keepAliveIntervalMs,
      logger: this.#o.logger,
    }).then(
      (conn) => {
        if (this.#closed) {
          conn.close('pool closed');
          return conn;
        }
        conn.onClose(() => {
          if (this.#conns.get(key) === p) this.#conns.delete(key);
        });
        return conn;
      },
      (err: unknown) => {
        if (this.#conns.get(key) === p) this.#conns.delete(key);
        throw closedDuringHandshake(err, physicalUrl);
      },
    );
    this.#conns.set(key, p);
    return p;
  }

  /** Open connections (for tests and metrics). */
  async connections(): Promise<Connection[]> {
    const settled = await Promise.allSettled([...this.#conns.values()]);
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = await this.connections();
    this.#conns.clear();
    for (const c of all) c.close('client closed');
  }
}

/**
 * A broker that drops the socket before CONNECTED gives no reason; the usual one is a pulsar://
 * url pointed at a TLS listener (the broker's TLS layer closes on the plaintext CONNECT), so say so.
 */
function closedDuringHandshake(err: unknown, physicalUrl: string): unknown {
  if (!(err instanceof BeamlineError) || err.code !== PULSAR_ERROR_CODES.connectionClosed) return err;
  const hint = physicalUrl.startsWith('pulsar://') ? '; if that port is a TLS listener, use a pulsar+ssl:// url' : '';
  return new BeamlineError(
    PULSAR_ERROR_CODES.connectionClosed,
    `${physicalUrl} closed the connection during the CONNECT handshake (${err.message})${hint}`,
    {
      retriable: err.retriable,
      cause: err,
      details: { ...err.details, broker: physicalUrl },
    },
  );
}
