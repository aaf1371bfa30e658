import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { BeamlineError } from '../../../../functions/errors.ts';
import { compileTransactionOptions, createClient, TC_ASSIGN_TOPIC, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import {
  CommandType,
  decodeBatch,
  encodePayloadCommand,
  ServerError,
  type BaseCommand,
  type Frame,
} from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, type Handler, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

interface Script {
  coordinators?: number;
  /** Reply to a TC command (return true when handled). */
  tc?: (f: Frame, reply: (cmd: BaseCommand) => void, socket: Socket) => boolean;
}

/** A fake broker that is also `coordinators` transaction coordinators; txn ids count up from (tc, 1). */
async function setup(script: Script = {}): Promise<{ b: FakeBroker; clock: FakeClock; c: PulsarClient }> {
  const b = await FakeBroker.start();
  const n = script.coordinators ?? 2;
  let nextLeast = 1n;
  const handler: Handler = (f, reply, s) => {
    const c = f.command;
    if (script.tc?.(f, reply, s) === true) return;
    switch (c.type) {
      case CommandType.PARTITIONED_METADATA:
        reply({
          type: CommandType.PARTITIONED_METADATA_RESPONSE,
          partitionMetadataResponse: {
            request_id: c.partitionMetadata!.request_id,
            partitions: c.partitionMetadata!.topic === TC_ASSIGN_TOPIC ? n : 0,
          },
        });
        return;
      case CommandType.TC_CLIENT_CONNECT_REQUEST:
        reply({
          type: CommandType.TC_CLIENT_CONNECT_RESPONSE,
          tcClientConnectResponse: { request_id: c.tcClientConnectRequest!.request_id },
        });
        return;
      case CommandType.NEW_TXN:
        reply({
          type: CommandType.NEW_TXN_RESPONSE,
          newTxnResponse: {
            request_id: c.newTxn!.request_id,
            txnid_most_bits: BigInt(c.newTxn!.tc_id ?? 0),
            txnid_least_bits: nextLeast++,
          },
        });
        return;
      case CommandType.ADD_PARTITION_TO_TXN:
        reply({
          type: CommandType.ADD_PARTITION_TO_TXN_RESPONSE,
          addPartitionToTxnResponse: { request_id: c.addPartitionToTxn!.request_id },
        });
        return;
      case CommandType.ADD_SUBSCRIPTION_TO_TXN:
        reply({
          type: CommandType.ADD_SUBSCRIPTION_TO_TXN_RESPONSE,
          addSubscriptionToTxnResponse: { request_id: c.addSubscriptionToTxn!.request_id },
        });
        return;
      case CommandType.END_TXN:
        reply({ type: CommandType.END_TXN_RESPONSE, endTxnResponse: { request_id: c.endTxn!.request_id } });
        return;
      case CommandType.ACK:
        if (c.ack!.request_id !== undefined) {
          reply({ type: CommandType.ACK_RESPONSE, ackResponse: { consumer_id: c.ack!.consumer_id, request_id: c.ack!.request_id } });
        }
        return;
      case CommandType.SEND:
        reply({
          type: CommandType.SEND_RECEIPT,
          send_receipt: {
            producer_id: c.send!.producer_id,
            sequence_id: c.send!.sequence_id,
            message_id: { ledgerId: 1n, entryId: BigInt(c.send!.sequence_id) },
          },
        });
        return;
    }
    defaultHandler(f, reply, s);
  };
  b.handler = handler;
  broker = b;
  const clock = new FakeClock();
  client = createClient(
    { serviceUrl: b.url, keepAliveIntervalMs: 0, operationTimeoutMs: 5_000, initialBackoffMs: 100, maxBackoffMs: 400 },
    { clock },
  );
  return { b, clock, c: client };
}

/** Await `p` while moving the fake clock (batch timers) and letting socket I/O run. */
async function pump<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  for (let i = 0; i < 1000 && !done; i++) {
    for (let j = 0; j < 5; j++) await new Promise((r) => setImmediate(r));
    await clock.advance(2);
  }
  return p;
}

/** Index of the first frame of `type` in arrival order. */
function firstIndex(b: FakeBroker, type: number): number {
  return b.received.findIndex((f) => f.command.type === type);
}

describe('transaction coordinator discovery', () => {
  it('connects to every coordinator named by the assign topic partitions, then opens txns round-robin with the timeout', async () => {
    const { b, c } = await setup({ coordinators: 3 });
    const t1 = await c.newTransaction({ timeoutMs: 45_000 });
    const t2 = await c.newTransaction();
    const connects = b.of(CommandType.TC_CLIENT_CONNECT_REQUEST).map((f) => f.command.tcClientConnectRequest!.tc_id);
    expect(connects.sort()).toEqual([0, 1, 2]);
    const lookups = b.of(CommandType.LOOKUP).map((f) => f.command.lookupTopic!.topic);
    expect(lookups).toContain(`${TC_ASSIGN_TOPIC}-partition-2`);
    const news = b.of(CommandType.NEW_TXN).map((f) => f.command.newTxn!);
    expect(news.map((x) => x.tc_id)).toEqual([0, 1]);
    expect(news[0]!.txn_ttl_seconds).toBe(45_000); // milliseconds on the wire, like the Java client
    expect(news[1]!.txn_ttl_seconds).toBe(60_000);
    expect(t1.id).toEqual({ mostBits: 0n, leastBits: 1n });
    expect(t2.id.mostBits).toBe(1n);
    expect(t1.state).toBe('open');
    expect(t1.toString()).toBe('(0,1)');
  });

  it('fails with a typed error when the cluster has no coordinators (transactions disabled)', async () => {
    const { c } = await setup({ coordinators: 0 });
    const err = await c.newTransaction().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe('BL_PULSAR_TXN_COORDINATOR_NOT_FOUND');
  });

  it('validates the timeout option', () => {
    expect(() => compileTransactionOptions({ timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'BL_PULSAR_TXN_INVALID_OPTIONS' }));
    expect(compileTransactionOptions({})).toEqual({ timeoutMs: 60_000, outcomeTimeoutMs: 120_000 });
    expect(() => compileTransactionOptions({ outcomeTimeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: 'BL_PULSAR_TXN_INVALID_OPTIONS' }),
    );
  });
});

describe('transactional send and ack', () => {
  it('adds the partition to the txn before the first transactional SEND, once, and stamps the txn id on SEND and metadata', async () => {
    const { b, c, clock } = await setup({ coordinators: 2 });
    const producer = await c.createProducer({ topic: 'persistent://public/default/out' });
    const txn = await c.newTransaction();
    await pump(clock, Promise.all([producer.send('a', { txn }), producer.send('b', { txn })]));
    const adds = b.of(CommandType.ADD_PARTITION_TO_TXN);
    expect(adds).toHaveLength(1);
    expect(adds[0]!.command.addPartitionToTxn!.partitions).toEqual(['persistent://public/default/out']);
    expect(firstIndex(b, CommandType.ADD_PARTITION_TO_TXN)).toBeLessThan(firstIndex(b, CommandType.SEND));
    const sends = b.of(CommandType.SEND);
    expect(sends).toHaveLength(1); // one batch: both messages belong to the same txn
    const s0 = sends[0]!;
    expect(s0.command.send!.num_messages).toBe(2);
    expect(s0.command.send!.txnid_most_bits).toBe(txn.id.mostBits);
    expect(s0.command.send!.txnid_least_bits).toBe(txn.id.leastBits);
    expect(s0.payload!.metadata.txnid_least_bits).toBe(txn.id.leastBits);
    await txn.commit();
    const end = b.of(CommandType.END_TXN)[0]!.command.endTxn!;
    expect(end.txn_action).toBe(0);
    expect(end.txnid_least_bits).toBe(txn.id.leastBits);
    expect(txn.state).toBe('committed');
  });

  it('never puts messages of different transactions (or none) in one batch', async () => {
    const { b, c, clock } = await setup();
    const producer = await c.createProducer({ topic: 'persistent://public/default/out' });
    const t1 = await c.newTransaction();
    const t2 = await c.newTransaction();
    await pump(
      clock,
      Promise.all([producer.send('a', { txn: t1 }), producer.send('b', { txn: t2 }), producer.send('c'), producer.send('d', { txn: t1 })]),
    );
    const owner: Record<string, bigint | undefined> = { a: t1.id.leastBits, d: t1.id.leastBits, b: t2.id.leastBits, c: undefined };
    const seen: string[] = [];
    for (const f of b.of(CommandType.SEND)) {
      const md = f.payload!.metadata;
      const members = decodeBatch(f.payload!.payload, md.num_messages_in_batch ?? 1).map((e) => e.payload.toString());
      seen.push(...members);
      for (const m of members) expect(md.txnid_least_bits, m).toBe(owner[m]);
    }
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('routes END_TXN to the coordinator given by the most-significant bits modulo the coordinator count', async () => {
    const { b, c } = await setup({ coordinators: 2 });
    await c.newTransaction(); // tc 0
    const t = await c.newTransaction(); // tc 1
    expect(t.id.mostBits).toBe(1n);
    // Each coordinator has its own TC_CLIENT_CONNECT on the (shared) fake connection; routing is
    // visible through which tc the request names in its txn id.
    await t.abort();
    const end = b.of(CommandType.END_TXN)[0]!.command.endTxn!;
    expect(end.txn_action).toBe(1);
    expect(end.txnid_most_bits).toBe(1n);
    expect(t.state).toBe('aborted');
  });

  it('adds the subscription before a transactional ACK that carries request id and txn id, and resolves on ACK_RESPONSE', async () => {
    const { b, c } = await setup();
    const consumer = await c.subscribe({ topic: 'persistent://public/default/in', subscription: 'w', subscriptionType: 'Shared' });
    const cid = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
    const sock = b.sockets[0]!;
    sock.write(
      encodePayloadCommand(
        { type: CommandType.MESSAGE, message: { consumer_id: cid, message_id: { ledgerId: 7n, entryId: 3n } } },
        { producer_name: 'p', sequence_id: 0, publish_time: 1 },
        Buffer.from('x'),
      ),
    );
    const m = await consumer.receive();
    const txn = await c.newTransaction();
    await consumer.ack(m, { txn });
    const sub = b.of(CommandType.ADD_SUBSCRIPTION_TO_TXN)[0]!.command.addSubscriptionToTxn!;
    expect(sub.subscription).toEqual([{ topic: 'persistent://public/default/in', subscription: 'w' }]);
    const ack = b.of(CommandType.ACK).find((f) => f.command.ack!.request_id !== undefined)!.command.ack!;
    expect(ack.txnid_least_bits).toBe(txn.id.leastBits);
    expect(ack.message_id).toEqual([{ ledgerId: 7n, entryId: 3n }]);
    expect(firstIndex(b, CommandType.ADD_SUBSCRIPTION_TO_TXN)).toBeLessThan(
      b.received.findIndex((f) => f.command.ack?.request_id !== undefined),
    );

    // Aborting asks the broker to deliver the acked message again.
    await txn.abort();
    const redeliver = (await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES))[0]!.command.redeliverUnacknowledgedMessages!;
    expect(redeliver.message_ids).toEqual([{ ledgerId: 7n, entryId: 3n }]);
  });

  it('surfaces a conflicting ack as BL_PULSAR_TXN_CONFLICT and turns commit into abort', async () => {
    const { b, c } = await setup({
      tc: (f, reply) => {
        const a = f.command.ack;
        if (f.command.type !== CommandType.ACK || a?.request_id === undefined) return false;
        reply({
          type: CommandType.ACK_RESPONSE,
          ackResponse: {
            consumer_id: a.consumer_id,
            request_id: a.request_id,
            error: ServerError['TransactionConflict'],
            message: 'already acked in (0,9)',
          },
        });
        return true;
      },
    });
    const consumer = await c.subscribe({ topic: 'persistent://public/default/in', subscription: 'w', subscriptionType: 'Shared' });
    const cid = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
    b.sockets[0]!.write(
      encodePayloadCommand(
        { type: CommandType.MESSAGE, message: { consumer_id: cid, message_id: { ledgerId: 7n, entryId: 4n } } },
        { producer_name: 'p', sequence_id: 0, publish_time: 1 },
        Buffer.from('x'),
      ),
    );
    const m = await consumer.receive();
    const txn = await c.newTransaction();
    await expect(consumer.ack(m, { txn })).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_CONFLICT' });
    await expect(txn.commit()).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_OPERATION_FAILED' });
    expect(txn.state).toBe('aborted');
    expect(b.of(CommandType.END_TXN)[0]!.command.endTxn!.txn_action).toBe(1);
  });

  it('commit waits for sends still in flight', async () => {
    let held: (() => void) | undefined;
    const { b, c } = await setup({
      tc: (f, reply) => {
        if (f.command.type !== CommandType.SEND) return false;
        const s = f.command.send!;
        held = () =>
          reply({
            type: CommandType.SEND_RECEIPT,
            send_receipt: { producer_id: s.producer_id, sequence_id: s.sequence_id, message_id: { ledgerId: 1n, entryId: 1n } },
          });
        return true;
      },
    });
    const producer = await c.createProducer({ topic: 'persistent://public/default/out', batching: false });
    const txn = await c.newTransaction();
    const sent = producer.send('a', { txn });
    await b.waitFor(CommandType.SEND);
    const committed = txn.commit();
    expect(txn.state).toBe('committing');
    await until(() => held !== undefined, 'send held');
    expect(b.of(CommandType.END_TXN)).toHaveLength(0);
    held!();
    await sent;
    await committed;
    expect(b.of(CommandType.END_TXN)).toHaveLength(1);
  });
});

describe('transaction states and errors', () => {
  it('refuses sends and acks on an ended transaction with BL_PULSAR_TXN_INVALID_STATUS', async () => {
    const { c } = await setup();
    const producer = await c.createProducer({ topic: 'persistent://public/default/out' });
    const txn = await c.newTransaction();
    await txn.abort();
    await txn.abort(); // idempotent
    await expect(producer.send('x', { txn })).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_INVALID_STATUS' });
    await expect(txn.commit()).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_INVALID_STATUS' });
  });

  it('fails commit with BL_PULSAR_TXN_TIMEOUT after the timeout and aborts on the coordinator', async () => {
    const { b, c, clock } = await setup();
    const txn = await c.newTransaction({ timeoutMs: 2_000 });
    await clock.advance(2_001);
    await expect(txn.commit()).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_TIMEOUT' });
    expect(txn.state).toBe('aborted');
    expect(b.of(CommandType.END_TXN)[0]!.command.endTxn!.txn_action).toBe(1);
  });

  it('retries on a coordinator that moved (TransactionCoordinatorNotFound) after a fresh lookup', async () => {
    let refusals = 1;
    const { b, c, clock } = await setup({
      coordinators: 1,
      tc: (f, reply) => {
        if (f.command.type !== CommandType.END_TXN || refusals === 0) return false;
        refusals--;
        reply({
          type: CommandType.END_TXN_RESPONSE,
          endTxnResponse: {
            request_id: f.command.endTxn!.request_id,
            error: ServerError['TransactionCoordinatorNotFound'],
            message: 'moved',
          },
        });
        return true;
      },
    });
    const txn = await c.newTransaction();
    const lookupsBefore = b.of(CommandType.LOOKUP).length;
    const committed = txn.commit();
    let done = false;
    void committed.finally(() => (done = true)).catch(() => undefined);
    await b.waitFor(CommandType.END_TXN, 1);
    // Step through the backoff (real socket I/O happens between the steps).
    for (let i = 0; i < 200 && !done; i++) {
      await clock.advance(50);
      await new Promise((r) => setImmediate(r));
    }
    await committed;
    expect(txn.state).toBe('committed');
    expect(b.of(CommandType.END_TXN)).toHaveLength(2);
    expect(b.of(CommandType.LOOKUP).length).toBeGreaterThan(lookupsBefore);
    expect(b.of(CommandType.TC_CLIENT_CONNECT_REQUEST).length).toBe(2);
  });

  it('reconnects and retries when the coordinator connection drops mid-request', async () => {
    let drops = 1;
    const { b, c, clock } = await setup({
      coordinators: 1,
      tc: (f, _reply, socket) => {
        if (f.command.type !== CommandType.END_TXN || drops === 0) return false;
        drops--;
        socket.destroy();
        return true;
      },
    });
    const txn = await c.newTransaction();
    await pump(clock, txn.commit());
    expect(txn.state).toBe('committed');
    expect(b.of(CommandType.END_TXN)).toHaveLength(2);
    expect(b.of(CommandType.TC_CLIENT_CONNECT_REQUEST)).toHaveLength(2);
  });
});

/** An END_TXN reply with a coordinator error, as the broker words it. */
function endTxnError(f: Frame, error: string, message: string): BaseCommand {
  return {
    type: CommandType.END_TXN_RESPONSE,
    endTxnResponse: { request_id: f.command.endTxn!.request_id, error: ServerError[error], message },
  };
}

describe('transaction outcome resolution (#27)', () => {
  it('a commit whose reply was lost is retried, and "already COMMITTED" on the retry means committed', async () => {
    let ends = 0;
    const { b, c, clock } = await setup({
      coordinators: 1,
      tc: (f, reply, socket) => {
        if (f.command.type !== CommandType.END_TXN) return false;
        ends++;
        // The coordinator commits, then dies before its reply leaves; after the restart it says so.
        if (ends === 1) socket.destroy();
        else reply(endTxnError(f, 'InvalidTxnStatus', 'Expect Txn (0,1) to be in COMMITTING status but it is in COMMITTED status'));
        return true;
      },
    });
    const txn = await c.newTransaction();
    await pump(clock, txn.commit());
    expect(txn.state).toBe('committed');
    expect(b.of(CommandType.END_TXN).map((f) => f.command.endTxn!.txn_action)).toEqual([0, 0]);
  });

  it('keeps retrying END_TXN while the coordinator is unreachable or recovering (UnknownError), then commits', async () => {
    let ends = 0;
    const { b, c, clock } = await setup({
      coordinators: 1,
      tc: (f, reply, socket) => {
        if (f.command.type !== CommandType.END_TXN) return false;
        ends++;
        if (ends <= 3)
          socket.destroy(); // broker down: every attempt loses its connection
        else if (ends <= 5) reply(endTxnError(f, 'UnknownError', 'coordinator not ready'));
        else reply({ type: CommandType.END_TXN_RESPONSE, endTxnResponse: { request_id: f.command.endTxn!.request_id } });
        return true;
      },
    });
    const txn = await c.newTransaction();
    await pump(clock, txn.commit());
    expect(txn.state).toBe('committed');
    expect(b.of(CommandType.END_TXN)).toHaveLength(6);
  });

  it('"already ABORTED" on a commit means aborted (abort hooks run), never committed', async () => {
    const { c, clock } = await setup({
      coordinators: 1,
      tc: (f, reply) => {
        if (f.command.type !== CommandType.END_TXN) return false;
        reply(endTxnError(f, 'InvalidTxnStatus', 'Expect Txn (0,1) to be in COMMITTING status but it is in ABORTED status'));
        return true;
      },
    });
    const txn = await c.newTransaction();
    let hooks = 0;
    txn.onAbort(() => hooks++);
    const err = await pump(clock, txn.commit()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BL_PULSAR_TXN_ABORTED' });
    expect(txn.state).toBe('aborted');
    expect(hooks).toBe(1);
  });

  it('an abort whose reply was lost is retried: "already ABORTED" (or not found) confirms it', async () => {
    let ends = 0;
    const { b, c, clock } = await setup({
      coordinators: 1,
      tc: (f, reply, socket) => {
        if (f.command.type !== CommandType.END_TXN) return false;
        ends++;
        if (ends === 1) socket.destroy();
        else reply(endTxnError(f, 'InvalidTxnStatus', 'Expect Txn (0,1) to be in ABORTING status but it is in ABORTED status'));
        return true;
      },
    });
    const txn = await c.newTransaction();
    let hooks = 0;
    txn.onAbort(() => hooks++);
    await pump(clock, txn.abort());
    expect(txn.state).toBe('aborted');
    expect(hooks).toBe(1);
    expect(b.of(CommandType.END_TXN).map((f) => f.command.endTxn!.txn_action)).toEqual([1, 1]);
  });

  it('reports BL_PULSAR_TXN_OUTCOME_UNKNOWN when a commit may have landed and the coordinator no longer knows the txn, and commit() can ask again', async () => {
    let ends = 0;
    const { c, clock } = await setup({
      coordinators: 1,
      tc: (f, reply, socket) => {
        if (f.command.type !== CommandType.END_TXN) return false;
        ends++;
        if (ends === 1) socket.destroy();
        else reply(endTxnError(f, 'TransactionNotFound', 'Transaction not found'));
        return true;
      },
    });
    const txn = await c.newTransaction();
    const err = await pump(clock, txn.commit()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe('BL_PULSAR_TXN_OUTCOME_UNKNOWN');
    expect((err as BeamlineError).retriable).toBe(true);
    expect(txn.state).toBe('unknown');
    // Not an abort: nothing may be redelivered while it may have committed.
    await expect(txn.abort()).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_INVALID_STATUS' });
    await pump(clock, txn.commit()).catch(() => undefined);
    expect(ends).toBe(3);
  });

  it('TxnNotFound on the first commit attempt (no earlier request could have landed) means the coordinator aborted it', async () => {
    const { c, clock } = await setup({
      coordinators: 1,
      tc: (f, reply) => {
        if (f.command.type !== CommandType.END_TXN) return false;
        reply(endTxnError(f, 'TransactionNotFound', 'Transaction not found'));
        return true;
      },
    });
    const txn = await c.newTransaction();
    await expect(pump(clock, txn.commit())).rejects.toMatchObject({ code: 'BL_PULSAR_TXN_ABORTED' });
    expect(txn.state).toBe('aborted');
  });

  it('asks again when one END_TXN reply never comes on a live connection, without waiting out the operation timeout', async () => {
    let ends = 0;
    const { b, c, clock } = await setup({
      coordinators: 1,
      tc: (f, reply) => {
        if (f.command.type !== CommandType.END_TXN) return false;
        ends++;
        // The first request is lost inside the broker (no reply, connection stays up).
        if (ends > 1) reply({ type: CommandType.END_TXN_RESPONSE, endTxnResponse: { request_id: f.command.endTxn!.request_id } });
        return true;
      },
    });
    // An operation timeout far longer than one attempt's: the retry must not wait for it.
    const txn = await c.newTransaction({ outcomeTimeoutMs: 60_000 });
    const t0 = clock.monotonic();
    let settled = false;
    const ending = txn.commit();
    void ending.finally(() => (settled = true)).catch(() => undefined);
    for (let i = 0; i < 400 && !settled; i++) {
      for (let j = 0; j < 5; j++) await new Promise((r) => setImmediate(r));
      await clock.advance(50);
    }
    await ending;
    expect(txn.state).toBe('committed');
    expect(b.of(CommandType.END_TXN)).toHaveLength(2);
    // One attempt's timeout (3 s) plus a backoff, well under the client's 5 s operation timeout.
    expect(clock.monotonic() - t0).toBeLessThan(4_000);
  });

  it('reports the outcome unknown when the coordinator stays unreachable past outcomeTimeoutMs', async () => {
    const { c, clock } = await setup({
      coordinators: 1,
      tc: (f, _reply, socket) => {
        if (f.command.type !== CommandType.END_TXN) return false;
        socket.destroy();
        return true;
      },
    });
    const txn = await c.newTransaction({ outcomeTimeoutMs: 3_000 });
    let settled = false;
    const ending = txn.commit().catch((e: unknown) => e);
    void ending.finally(() => (settled = true));
    for (let i = 0; i < 400 && !settled; i++) {
      for (let j = 0; j < 5; j++) await new Promise((r) => setImmediate(r));
      await clock.advance(50);
    }
    const err = await ending;
    expect(err).toMatchObject({ code: 'BL_PULSAR_TXN_OUTCOME_UNKNOWN' });
    expect(txn.state).toBe('unknown');
  });
});
