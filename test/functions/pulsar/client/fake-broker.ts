/**
 * A scripted in-process broker for unit tests: speaks the wire protocol over a real localhost
 * socket (so Connection runs unmodified) and lets each test decide the replies.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterEach } from 'vitest';
import {
  CommandType,
  decodeFrame,
  encodeCommand,
  FrameDecoder,
  type BaseCommand,
  type Frame,
} from '../../../../functions/pulsar/wire/index.ts';

export type Handler = (frame: Frame, reply: (cmd: BaseCommand) => void, socket: net.Socket) => void;

export class FakeBroker {
  readonly received: Frame[] = [];
  readonly sockets: net.Socket[] = [];
  handler: Handler = defaultHandler;
  #server: net.Server;
  port = 0;
  readonly tls: boolean;

  private constructor(tlsOptions?: tls.TlsOptions) {
    this.tls = tlsOptions !== undefined;
    const onSocket = (socket: net.Socket): void => {
      this.sockets.push(socket);
      const dec = new FrameDecoder();
      socket.on('data', (chunk) => {
        for (const raw of dec.push(chunk)) {
          const f = decodeFrame(raw);
          this.received.push(f);
          this.handler(f, (cmd) => socket.write(encodeCommand(cmd)), socket);
        }
      });
      socket.on('error', () => undefined);
    };
    this.#server = tlsOptions !== undefined ? tls.createServer(tlsOptions, onSocket) : net.createServer(onSocket);
  }

  static async start(tlsOptions?: tls.TlsOptions): Promise<FakeBroker> {
    const b = new FakeBroker(tlsOptions);
    await new Promise<void>((resolve) => b.#server.listen(0, '127.0.0.1', resolve));
    b.port = (b.#server.address() as net.AddressInfo).port;
    return b;
  }

  get url(): string {
    return `${this.tls ? 'pulsar+ssl' : 'pulsar'}://127.0.0.1:${this.port}`;
  }

  of(type: number): Frame[] {
    return this.received.filter((f) => f.command.type === type);
  }

  /** Resolves when a frame of `type` has been received (already or later). */
  async waitFor(type: number, count = 1): Promise<Frame[]> {
    for (let i = 0; i < 400; i++) {
      const got = this.of(type);
      if (got.length >= count) return got;
      await new Promise((r) => setImmediate(r));
      if (i > 200) await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no frame of type ${type}`);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** CONNECT -> CONNECTED, LOOKUP -> Connect to ourselves, PARTITIONED_METADATA -> 0. */
export const defaultHandler: Handler = (f, reply, socket) => {
  const c = f.command;
  switch (c.type) {
    case CommandType.CONNECT:
      reply({
        type: CommandType.CONNECTED,
        connected: { server_version: 'fake', protocol_version: 21, max_message_size: 5 * 1024 * 1024 },
      });
      return;
    case CommandType.LOOKUP:
      reply({
        type: CommandType.LOOKUP_RESPONSE,
        lookupTopicResponse: {
          request_id: c.lookupTopic?.request_id ?? 0,
          response: 1,
          brokerServiceUrl: `pulsar://127.0.0.1:${socket.localPort}`,
          brokerServiceUrlTls: `pulsar+ssl://127.0.0.1:${socket.localPort}`,
        },
      });
      return;
    case CommandType.PARTITIONED_METADATA:
      reply({
        type: CommandType.PARTITIONED_METADATA_RESPONSE,
        partitionMetadataResponse: { request_id: c.partitionMetadata?.request_id ?? 0, partitions: 0 },
      });
      return;
    case CommandType.PING:
      reply({ type: CommandType.PONG, pong: {} });
      return;
    case CommandType.PRODUCER:
      reply({
        type: CommandType.PRODUCER_SUCCESS,
        producer_success: { request_id: c.producer?.request_id ?? 0, producer_name: c.producer?.producer_name ?? 'fake-producer' },
      });
      return;
    case CommandType.SUBSCRIBE:
      reply({ type: CommandType.SUCCESS, success: { request_id: c.subscribe?.request_id ?? 0 } });
      return;
    case CommandType.CLOSE_PRODUCER:
      reply({ type: CommandType.SUCCESS, success: { request_id: c.close_producer?.request_id ?? 0 } });
      return;
    case CommandType.CLOSE_CONSUMER:
      reply({ type: CommandType.SUCCESS, success: { request_id: c.close_consumer?.request_id ?? 0 } });
      return;
    case CommandType.UNSUBSCRIBE:
      reply({ type: CommandType.SUCCESS, success: { request_id: c.unsubscribe?.request_id ?? 0 } });
      return;
  }
};

/**
 * Yield to the event loop until `cond()` holds (socket events need real I/O turns; after a burst
 * of turns, short real waits too, as in waitFor, for replies that take several round trips).
 */
export async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
    if (i > 200) await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * After each test, close what the file's `let client` / `let broker` hold (client first, so it
 * does not reconnect to a closing broker) and clear them.
 */
export function closeAfterEach(current: () => readonly ({ close(): Promise<unknown> } | undefined)[], reset: () => void): void {
  afterEach(async () => {
    for (const c of current()) await c?.close();
    reset();
  });
}
