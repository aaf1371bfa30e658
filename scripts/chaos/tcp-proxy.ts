/**
 * A userspace TCP proxy the chaos suite controls (the kernel here has no netem): every byte
 * between a client and one target passes through it, and the suite can add latency and jitter,
 * limit bandwidth, reset every connection (RST), or pause all traffic (bytes are held, not
 * dropped: to both ends the link looks stalled, as in a partition that heals).
 *
 * Held bytes are bounded: past `maxBufferedBytes` per direction the proxy stops reading from the
 * sender, so TCP flow control pushes back on it (the proxy itself never grows without bound).
 *
 *   const proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port: 6650 } });
 *   proxy.set({ latencyMs: 100, jitterMs: 50 }); proxy.pause(); proxy.resume(); proxy.resetAll();
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { compileLinkFaults, LinkShaper, NO_FAULTS, type LinkFaults } from './link-shaper.ts';

export interface ChaosProxyOptions {
  target: { host: string; port: number };
  /** @default 0 (any free port) */
  listenPort?: number;
  /** @default '127.0.0.1' */
  listenHost?: string;
  /** Bytes held per direction before the proxy stops reading from the sender. @default 4 MiB */
  maxBufferedBytes?: number;
}

export interface ProxyStats {
  /** Connections accepted since start. */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** Connections reset by resetAll(). */
  reset: number;
  /** Bytes forwarded, both directions. */
  bytes: number;
}

type ProxyState = 'running' | 'closed';

/** One direction of one connection: chunks wait here until their delivery time. */
class Pipe {
  readonly #from: Socket;
  readonly #to: Socket;
  readonly #proxy: ChaosProxy;
  readonly #shaper = new LinkShaper();
  readonly #queue: Array<{ at: number; chunk: Buffer }> = [];
  #queuedBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #readPaused = false;

  constructor(from: Socket, to: Socket, proxy: ChaosProxy) {
    this.#from = from;
    this.#to = to;
    this.#proxy = proxy;
    from.on('data', (chunk: Buffer) => this.#onData(chunk));
    to.on('drain', () => this.flush());
  }

  #onData(chunk: Buffer): void {
    const at = this.#shaper.deliverAt(performance.now(), chunk.length, this.#proxy.faults);
    this.#queue.push({ at, chunk });
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > this.#proxy.maxBufferedBytes && !this.#readPaused) {
      this.#readPaused = true;
      this.#from.pause();
    }
    this.flush();
  }

  /** Writes every chunk that is due (unless paused); re-arms the timer for the next one. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#proxy.paused || this.#to.destroyed) return;
    const now = performance.now();
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as { at: number; chunk: Buffer };
      if (head.at > now) {
        this.#timer = setTimeout(() => this.flush(), Math.max(1, Math.ceil(head.at - now)));
        break;
      }
      this.#queue.shift();
      this.#queuedBytes -= head.chunk.length;
      this.#proxy.counted(head.chunk.length);
      if (!this.#to.write(head.chunk)) break; // 'drain' calls flush again
    }
    if (this.#readPaused && this.#queuedBytes <= this.#proxy.maxBufferedBytes / 2) {
      this.#readPaused = false;
      this.#from.resume();
    }
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }
}

interface Link {
  client: Socket;
  upstream: Socket;
  pipes: Pipe[];
}

export class ChaosProxy {
  readonly #server: Server;
  readonly #links = new Set<Link>();
  readonly #options: Required<Omit<ChaosProxyOptions, 'target'>> & Pick<ChaosProxyOptions, 'target'>;
  #faults: LinkFaults = NO_FAULTS;
  #paused = false;
  #state: ProxyState = 'running';
  #port = 0;
  readonly #stats: ProxyStats = { accepted: 0, open: 0, reset: 0, bytes: 0 };

  private constructor(options: ChaosProxyOptions) {
    this.#options = { listenPort: 0, listenHost: '127.0.0.1', maxBufferedBytes: 4 * 1024 * 1024, ...options };
    this.#server = createServer({ noDelay: true }, (client) => this.#accept(client));
  }

  static async start(options: ChaosProxyOptions): Promise<ChaosProxy> {
    const p = new ChaosProxy(options);
    await new Promise<void>((resolve, reject) => {
      p.#server.once('error', reject);
      p.#server.listen(p.#options.listenPort, p.#options.listenHost, () => {
        p.#server.off('error', reject);
        resolve();
      });
    });
    const addr = p.#server.address();
    p.#port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    return p;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `pulsar://${this.#options.listenHost}:${this.#port}`;
  }

  get faults(): LinkFaults {
    return this.#faults;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get maxBufferedBytes(): number {
    return this.#options.maxBufferedBytes;
  }

  stats(): ProxyStats {
    return { ...this.#stats, open: this.#links.size };
  }

  /** Changes latency, jitter or bandwidth for every connection, open and future. */
  set(faults: Partial<LinkFaults>): void {
    this.#faults = compileLinkFaults(faults, this.#faults);
    this.#flushAll();
  }

  /** Back to a clean link (faults cleared, traffic flowing). */
  heal(): void {
    this.#faults = NO_FAULTS;
    this.resume();
  }

  /** Holds all traffic (new connections are accepted and held too) until resume(). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#flushAll();
  }

  /** Resets (RST) every open connection, both sides; returns how many. */
  resetAll(): number {
    const n = this.#links.size;
    for (const l of [...this.#links]) this.#drop(l, true);
    this.#stats.reset += n;
    return n;
  }

  /** @internal the pipes count forwarded bytes here. */
  counted(bytes: number): void {
    this.#stats.bytes += bytes;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const l of [...this.#links]) this.#drop(l, false);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #flushAll(): void {
    for (const l of this.#links) for (const p of l.pipes) p.flush();
  }

  #accept(client: Socket): void {
    if (this.#state !== 'running') {
      client.destroy();
      return;
    }
    this.#stats.accepted++;
    const upstream = createConnection({ host: this.#options.target.host, port: this.#options.target.port, noDelay: true });
    const link: Link = { client, upstream, pipes: [] };
    link.pipes.push(new Pipe(client, upstream, this), new Pipe(upstream, client, this));
    this.#links.add(link);
    const done = (): void => this.#drop(link, false);
    for (const s of [client, upstream]) {
      s.on('error', done);
      s.on('close', done);
      // A half-close ends the whole link: the Pulsar protocol never half-closes a connection.
      s.on('end', done);
    }
  }

  #drop(link: Link, reset: boolean): void {
    if (!this.#links.delete(link)) return;
    for (const p of link.pipes) p.stop();
    for (const s of [link.client, link.upstream]) {
      if (s.destroyed) continue;
      if (reset && typeof s.resetAndDestroy === 'function' && s.readyState !== 'opening') s.resetAndDestroy();
      else s.destroy();
    }
  }
}
