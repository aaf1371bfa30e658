import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { BeamlineError } from '../../../functions/errors.ts';
import {
  compileKeyring,
  newKeyringDocument,
  openSubjectKey,
  parseSubjectKeyRecord,
  rotateKeyringDocument,
  singleKeyring,
  subjectIndexer,
  type TenantKeyring,
  UnknownKeyError,
} from '../../../functions/governance/index.ts';
import { jsonSchema } from '../../../functions/pulsar/index.ts';
import {
  Ingress,
  NamespaceWorker,
  openDeadLetter,
  schemaDecoder,
  SubjectVault,
  type DeadLetterRecord,
  type SubjectKeysView,
} from '../../../functions/runtime/index.ts';
import { InMemoryWorkerIo } from '../../../functions/runtime/testing/index.ts';
import { createRootLogger } from '../../../functions/telemetry.ts';

/** The `subject-keys` topic as a compacted map, with the refreshes and writes counted. */
class FakeKeysTopic implements SubjectKeysView {
  readonly data = new Map<string, Buffer>();
  readonly writes: string[] = [];
  refreshes = 0;
  /** Written by "another replica": visible only after the next refresh(). */
  readonly unseen = new Map<string, Buffer>();
  readonly #listeners = new Set<(c: { key: string; value: Buffer | undefined }) => void>();

  get(key: string): Buffer | undefined {
    return this.data.get(key);
  }
  on(_event: 'change', l: (c: { key: string; value: Buffer | undefined }) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  async refresh(): Promise<boolean> {
    this.refreshes++;
    for (const [k, v] of this.unseen) this.#apply(k, v);
    this.unseen.clear();
    return true;
  }
  record = async (index: string, payload: Buffer): Promise<void> => {
    await Promise.resolve();
    this.writes.push(index);
    this.#apply(index, payload);
  };
  tombstone(index: string): void {
    this.#apply(index, undefined);
  }
  #apply(key: string, value: Buffer | undefined): void {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, value);
    for (const l of this.#listeners) l({ key, value });
  }
}

const keyring = singleKeyring(Buffer.alloc(32, 7).toString('base64'), 'test');
const log = createRootLogger({ level: 'silent' });

function vault(topic: FakeKeysTopic, o: { readOnly?: boolean; ring?: typeof keyring } = {}): SubjectVault {
  return new SubjectVault({
    view: topic,
    ...(o.readOnly === true ? {} : { record: topic.record }),
    keyring: o.ring ?? keyring,
    fields: ['card'],
    clock: new FakeClock(0),
    log,
  });
}

describe('subject keys (#21 crypto-shredding)', () => {
  it('gives each subject a key of its own: tokens differ from the tenant-key tokens and between subjects, stay stable for one subject', async () => {
    const topic = new FakeKeysTopic();
    const v = vault(topic);
    const a1 = await v.keysFor('4111-aaaa');
    const a2 = await v.keysFor('4111-aaaa');
    const b = await v.keysFor('4111-bbbb');
    expect(a1).toBe(a2);
    expect(topic.writes).toHaveLength(2);
    expect(a1.tokenizer.tokenizeKey('4111-aaaa')).toBe(a2.tokenizer.tokenizeKey('4111-aaaa'));
    expect(a1.tokenizer.tokenFor('card', 'x')).not.toBe(b.tokenizer.tokenFor('card', 'x'));
    // The record holds the key wrapped under the tenant key and the pseudonym; never the id.
    const index = subjectIndexer(keyring)('4111-aaaa');
    const stored = topic.data.get(index) as Buffer;
    expect(stored.toString()).not.toContain('4111-aaaa');
    const record = parseSubjectKeyRecord(index, stored);
    expect(record.pseudonym).toBe(a1.tokenizer.tokenizeKey('4111-aaaa'));
    // A second vault (a restarted worker, another replica) reads the same key back.
    const again = await vault(topic).keysFor('4111-aaaa');
    expect(again.tokenizer.tokenizeKey('4111-aaaa')).toBe(record.pseudonym);
    expect(topic.writes).toHaveLength(2);
  });

  it('creates one key for concurrent first events of a subject, and reads the topic to its end before creating', async () => {
    const topic = new FakeKeysTopic();
    const other = new FakeKeysTopic();
    // Another replica created the subject's key moments ago; this view has not seen it yet.
    const theirs = await vault(other).keysFor('rider-1');
    const index = subjectIndexer(keyring)('rider-1');
    topic.unseen.set(index, other.data.get(index) as Buffer);
    const v = vault(topic);
    const [x, y] = await Promise.all([v.keysFor('rider-1'), v.keysFor('rider-1')]);
    expect(x).toBe(y);
    expect(topic.refreshes).toBe(1);
    expect(topic.writes).toHaveLength(0);
    expect(x.tokenizer.tokenizeKey('rider-1')).toBe(theirs.tokenizer.tokenizeKey('rider-1'));
  });

  it('shares reads to the end between misses: a batch of new subjects costs two reads, not one each', async () => {
    const topic = new FakeKeysTopic();
    const v = vault(topic);
    await Promise.all(Array.from({ length: 50 }, (_, i) => v.keysFor(`new-${i}`)));
    expect(topic.writes).toHaveLength(50);
    expect(topic.refreshes).toBeLessThanOrEqual(2);
    // A later miss reads again (a key recorded since by another replica must be seen).
    await v.keysFor('later');
    expect(topic.refreshes).toBeLessThanOrEqual(3);
    expect(topic.refreshes).toBeGreaterThanOrEqual(2);
  });

  it('forgets an erased subject at once: its next event starts under a fresh key (new pseudonym, nothing linkable to the old one)', async () => {
    const topic = new FakeKeysTopic();
    const v = vault(topic);
    const before = (await v.keysFor('card-9')).tokenizer.tokenizeKey('card-9');
    const index = subjectIndexer(keyring)('card-9');
    const oldRecord = parseSubjectKeyRecord(index, topic.data.get(index) as Buffer);
    topic.tombstone(index);
    expect(v.peek('card-9')).toBeUndefined();
    const after = (await v.keysFor('card-9')).tokenizer.tokenizeKey('card-9');
    expect(after).not.toBe(before);
    // The old key opened only from its record; with the record gone, nothing holds it.
    expect(openSubjectKey(keyring, index, oldRecord)).toHaveLength(32);
  });

  it('keeps subject keys readable across tenant key rotation (the token key is pinned, wrapping keys are kept)', async () => {
    const doc = newKeyringDocument('2026-01');
    const ring1 = compileKeyring(doc, 'keys');
    const ring2 = compileKeyring(rotateKeyringDocument(doc, '2026-12'), 'keys');
    const topic = new FakeKeysTopic();
    const before = (await vault(topic, { ring: ring1 }).keysFor('s')).tokenizer.tokenizeKey('s');
    const after = (await vault(topic, { ring: ring2 }).keysFor('s')).tokenizer.tokenizeKey('s');
    expect(after).toBe(before);
    expect(topic.writes).toHaveLength(1);
    // A keyring without the wrapping key cannot open it.
    const stranger = singleKeyring(randomBytes(32).toString('base64'), 'x');
    expect(() =>
      openSubjectKey(
        stranger,
        subjectIndexer(ring1)('s'),
        parseSubjectKeyRecord(subjectIndexer(ring1)('s'), topic.data.get(subjectIndexer(ring1)('s')) as Buffer),
      ),
    ).toThrow(UnknownKeyError);
  });

  it('keeps asking while the broker fails retriably (a restart), then records the key once; a non-retriable failure is thrown', async () => {
    const topic = new FakeKeysTopic();
    const clock = new FakeClock(0);
    let failures = 3;
    const v = new SubjectVault({
      view: topic,
      record: async (index, payload) => {
        if (failures-- > 0) throw new BeamlineError('BL_TEST_DISCONNECTED', 'connection closed', { retriable: true });
        await topic.record(index, payload);
      },
      keyring,
      fields: [],
      clock,
      log,
    });
    const pending = v.keysFor('s-1');
    for (let i = 0; i < 50 && topic.writes.length === 0; i++) {
      await new Promise((r) => setImmediate(r));
      await clock.advance(1_000);
    }
    await pending;
    expect(topic.writes).toHaveLength(1);
    const fatal = new SubjectVault({
      view: topic,
      record: () => Promise.reject(new BeamlineError('BL_TEST_AUTH', 'not authorized', { retriable: false })),
      keyring,
      fields: [],
      clock,
      log,
    });
    await expect(fatal.keysFor('s-2')).rejects.toThrow('not authorized');
  });

  it('read-only (a replay) never records a key: an unknown subject gets a throwaway one', async () => {
    const topic = new FakeKeysTopic();
    const v = vault(topic, { readOnly: true });
    const k = await v.keysFor('never-seen');
    expect(topic.writes).toHaveLength(0);
    expect((await v.keysFor('never-seen')).tokenizer.tokenizeKey('x')).toBe(k.tokenizer.tokenizeKey('x'));
  });
});

interface Payment {
  card: string;
  amount: number;
}
const schema = jsonSchema<Payment>({
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
});

describe('worker with a data subject (#21)', () => {
  it("keys state and outputs by the subject's pseudonym and seals its dead letters under the subject's key; an erased subject's dead letter keeps nothing", async () => {
    const topic = new FakeKeysTopic();
    const subjects = vault(topic);
    const io = new InMemoryWorkerIo();
    const w = NamespaceWorker.create<Payment>(
      { tenant: 't', namespace: 'ns', batchMaxRecords: 10, batchMaxWaitMs: 0, httpPort: -1, handlerRetries: 1 },
      {
        io,
        ingress: new Ingress({ decode: schemaDecoder(schema), keyring, subjects }),
        handler: {
          process: (record, ctx) => {
            ctx.state.put(record.key ?? '', record.value.amount);
            ctx.emit({ card: record.value.card, amount: record.value.amount });
          },
        },
      },
    );
    await w.start();
    io.push(
      { key: 'CARD-111', payload: Buffer.from(JSON.stringify({ card: 'CARD-111', amount: 5 })), eventTimeMs: 1 },
      { key: 'CARD-111', payload: Buffer.from('{not json'), eventTimeMs: 2 },
    );
    await io.acknowledged(2);
    const pseudonym = subjects.peek('CARD-111')?.tokenizer.tokenizeKey('CARD-111');
    expect(pseudonym).toMatch(/^tok_/);
    const everything = [...io.output('predictions'), ...io.output('state'), ...io.output('dead-letter')];
    expect(everything.map((o) => `${o.key ?? ''} ${o.payload.toString()}`).join('\n')).not.toContain('CARD-111');
    expect(io.output('predictions')[0]?.key).toBe(pseudonym);
    const dead = JSON.parse((io.output('dead-letter')[0]?.payload as Buffer).toString()) as DeadLetterRecord;
    expect(dead.key).toBe(pseudonym);
    expect(dead.sealed?.kid).toBe('subject');
    // The tenant key alone opens nothing of the subject's; the subject's key does.
    expect(() => openDeadLetter(dead, keyring)).toThrow(UnknownKeyError);
    const subjectKey = (subjects.peek('CARD-111') as { keyring: TenantKeyring }).keyring;
    expect(openDeadLetter(dead, subjectKey).key).toBe('CARD-111');
    // Erased between decode and dead-lettering (the handler fails after the tombstone): no content, no key.
    topic.tombstone(subjectIndexer(keyring)('CARD-111'));
    const erased = new Ingress({ decode: schemaDecoder(schema), keyring, subjects }).deadLetter(
      {
        ref: undefined,
        topic: 'persistent://t/ns/events',
        messageId: '1:2:-1:-1',
        key: 'CARD-111',
        payload: Buffer.from('x'),
        properties: {},
        eventTimeMs: undefined,
        publishTimeMs: 1,
        schemaVersion: undefined,
        redeliveryCount: 0,
      },
      'handler-error',
      new Error('boom'),
      3,
    );
    expect(erased.sealed).toBeNull();
    expect(erased.key).toBeNull();
    expect(() => openDeadLetter(erased, subjectKey)).toThrow(/keeps no content/);
    await w.close();
  });
});
