import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { BeamlineError } from '../../../functions/errors.ts';
import { AUDIT_CHAIN_PROPERTIES } from '../../../functions/governance/index.ts';
import { MessageId, type Message } from '../../../functions/pulsar/index.ts';
import { decodeAuditPayload, silentLogger } from '../../../functions/control-plane.ts';
import { ReviewAuditor, type ReviewAuditorOptions } from '../../../functions/runtime/index.ts';

/** The part of a client the auditor uses: a consumer that redelivers nacked messages, transactions, a producer. */
class FakeClient {
  readonly queue: Message[] = [];
  readonly acked: string[] = [];
  readonly committed: { key: string | undefined; payload: Buffer; properties: Record<string, string> }[] = [];
  failSends = 0;
  #waiter: { resolve: (m: Message) => void; reject: (e: Error) => void } | undefined;
  #next = 0;

  push(value: Record<string, unknown>, key: string): void {
    const m = {
      id: new MessageId(1n, BigInt(this.#next++)),
      key,
      payload: Buffer.from(JSON.stringify(value)),
      properties: {},
      publishTimeMs: 1_000,
    } as unknown as Message;
    this.#deliver(m);
  }

  #deliver(m: Message): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w !== undefined) w.resolve(m);
    else this.queue.push(m);
  }

  async subscribe(): Promise<unknown> {
    return {
      receive: () =>
        new Promise<Message>((resolve, reject) => {
          const m = this.queue.shift();
          if (m !== undefined) resolve(m);
          else this.#waiter = { resolve, reject };
        }),
      ack: (m: Message, o?: { txn?: { pending: (() => void)[] } }) => {
        if (o?.txn === undefined) this.acked.push(m.id.toString());
        else o.txn.pending.push(() => this.acked.push(m.id.toString()));
        return Promise.resolve();
      },
      nack: (m: Message) => this.#deliver(m),
      // As the client's: a receive waiting when the consumer closes is rejected.
      close: () => {
        this.#waiter?.reject(new BeamlineError('BL_TEST_CLOSED', 'consumer closed', { retriable: false }));
        this.#waiter = undefined;
        return Promise.resolve();
      },
    };
  }

  async newTransaction(): Promise<unknown> {
    const pending: (() => void)[] = [];
    return { pending, commit: () => (pending.forEach((f) => f()), Promise.resolve()), abort: () => Promise.resolve() };
  }

  async getSchema(): Promise<undefined> {
    return undefined;
  }

  async createProducer(): Promise<unknown> {
    return {
      send: (m: { key?: string; payload: Buffer; properties: Record<string, string> }, o: { txn: { pending: (() => void)[] } }) => {
        if (this.failSends > 0) {
          this.failSends--;
          return Promise.reject(new BeamlineError('BL_TEST_SEND', 'broker said no', { retriable: true }));
        }
        o.txn.pending.push(() => this.committed.push({ key: m.key, payload: m.payload, properties: m.properties }));
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
  }
}

async function until(cond: () => boolean, clock: FakeClock): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) {
    await new Promise((r) => setImmediate(r));
    await clock.advance(1_000);
  }
  expect(cond()).toBe(true);
}

describe('ReviewAuditor (#21)', () => {
  it('audits each outcome once, as the analyst role, in the transaction of its ack; items are acked unaudited; a failed send is retried, the chain not moved', async () => {
    const client = new FakeClient();
    const clock = new FakeClock(0);
    const auditor = new ReviewAuditor({
      client: client as unknown as ReviewAuditorOptions['client'],
      reviewTopic: 'persistent://t/ns/review',
      auditTopic: 'persistent://t/ns/audit',
      analystRole: 't-analyst',
      seal: { kind: 'sha256' },
      clock,
      log: silentLogger,
      retryMs: 5_000,
    });
    client.failSends = 1;
    client.push({ eventId: 'ev-1', status: 'open', traceId: 'x' }, 'card-1');
    client.push({ eventId: 'ev-1', status: 'approved', type: 'review-outcome', decidedBy: 'ana', decidedAtMs: 2_000 }, 'card-1');
    client.push({ eventId: 'ev-2', status: 'rejected', type: 'review-outcome', decidedBy: 'bob', decidedAtMs: 3_000 }, 'card-2');
    auditor.start();
    await until(() => client.committed.length === 2, clock);
    await auditor.close();

    const audited = client.committed.map((c) => decodeAuditPayload(c.payload) as unknown as Record<string, unknown>);
    // The failed outcome comes back after the next one (redelivered): order across items is not kept.
    expect(audited.map((a) => [a['eventId'], a['status'], a['actor'], a['decidedBy']]).sort()).toEqual([
      ['ev-1', 'approved', 't-analyst', 'ana'],
      ['ev-2', 'rejected', 't-analyst', 'bob'],
    ]);
    // The failed attempt left no link: the chain runs 0, 1.
    expect(client.committed.map((c) => c.properties[AUDIT_CHAIN_PROPERTIES.seq])).toEqual(['0', '1']);
    // The item and both outcomes acked, each once.
    expect(client.acked.sort()).toEqual(['1:0:-1:-1', '1:1:-1:-1', '1:2:-1:-1']);
    expect(auditor.audited).toBe(2);
    expect(auditor.state).toBe('closed');
  });
});
