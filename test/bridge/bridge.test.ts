import { describe, expect, it } from 'vitest';
import { BeamlineError, ConfigError } from '../../functions/index.ts';
import {
  IDEMPOTENCY_KEY_ATTRIBUTE,
  PubsubDeduplicator,
  idempotencyKey,
  compilePubsubSinkOptions,
  compilePubsubSourceOptions,
  deadLetterMessage,
  deadLetterRecord,
  parseNamespaceTopic,
  pubsubRefusal,
  RecentIds,
} from '../../bridge/index.ts';
import { compileKeyring, newKeyringDocument, openDeadLetter, type DeadLetterRecord } from '../../functions/control-plane.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

function io(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, env, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

describe('bridge options', () => {
  it('compiles a source with defaults and a producer name from the subscription', () => {
    const c = compilePubsubSourceOptions({ subscription: 'projects/acme/subscriptions/cards', to: 'acme-payments/central/events' });
    expect(c).toMatchObject({
      producerName: 'beamline-bridge-acme-cards',
      maxMessages: 1000,
      streams: 5,
      requireOrderingKey: true,
      recoveryWindowMs: 900_000,
    });
    expect(c.to.fullName).toBe('persistent://acme-payments/central/events');
    expect(c.to.deadLetter).toBe('persistent://acme-payments/central/dead-letter');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names the field, the value and the fix for bad input', () => {
    expect(() => compilePubsubSourceOptions({ subscription: 'cards', to: 'a/b/events' })).toThrow(
      /subscription: invalid value "cards"; use projects\/PROJECT\/subscriptions\/NAME/,
    );
    expect(() => compilePubsubSourceOptions({ subscription: 'projects/p/topics/cards', to: 'a/b/events' })).toThrow(ConfigError);
    expect(() => compilePubsubSourceOptions({ subscription: 'projects/p/subscriptions/cards', to: 'events' })).toThrow(
      /to: invalid value "events"; use TENANT\/NAMESPACE\/TOPIC/,
    );
    expect(() => compilePubsubSourceOptions({ subscription: 'projects/p/subscriptions/cards', to: 'a/b/c', maxMessages: 0 })).toThrow(
      /maxMessages/,
    );
    expect(() =>
      compilePubsubSourceOptions({ subscription: 'projects/p/subscriptions/cards', to: 'a/b/c', maxMessages: 100, maxTrackedIds: 10 }),
    ).toThrow(/maxTrackedIds: .*at least maxMessages/);
    expect(() => compilePubsubSinkOptions({ from: 'a/b/predictions', topic: 'projects/p/subscriptions/x1y' })).toThrow(
      /topic: .*projects\/PROJECT\/topics\/NAME/,
    );
    expect(() => compilePubsubSinkOptions({ from: 'a/b/predictions', topic: 'projects/p/topics/out', format: 'xml' as never })).toThrow(
      /format/,
    );
  });

  it("names the sink's ledger from its Pulsar subscription and topic, and checks the ledger options", () => {
    const c = compilePubsubSinkOptions({ from: 'acme-payments/central/predictions', topic: 'projects/acme/topics/decisions' });
    expect(c.ledger?.path).toBe('projects/acme/subscriptions/beamline-bridge-pubsub-sink-acme-payments.central.predictions-ledger');
    expect(c).toMatchObject({ maxLedgerIds: 100_000, ledgerRecoveryTimeoutMs: 120_000 });
    expect(compilePubsubSinkOptions({ from: 'a/b/p=1', topic: 'projects/acme/topics/out', subscription: 'sink:eu' }).ledger?.name).toBe(
      'sink_eu-a.b.p_1-ledger',
    );
    expect(
      compilePubsubSinkOptions({
        from: 'a/b/c',
        topic: 'projects/acme/topics/out',
        ledgerSubscription: 'projects/other/subscriptions/mine',
      }).ledger?.path,
    ).toBe('projects/other/subscriptions/mine');
    expect(compilePubsubSinkOptions({ from: 'a/b/c', topic: 'projects/acme/topics/out', ledger: false }).ledger).toBeUndefined();
    expect(() =>
      compilePubsubSinkOptions({ from: 'a/b/c', topic: 'projects/acme/topics/out', ledger: false, ledgerSubscription: 'mine' }),
    ).toThrow(/ledgerSubscription: .*turn the ledger on/);
    expect(() => compilePubsubSinkOptions({ from: 'a/b/c', topic: 'projects/acme/topics/out', ledgerSubscription: '9x' })).toThrow(
      /ledgerSubscription: invalid value/,
    );
    expect(() =>
      compilePubsubSinkOptions({ from: 'a/b/c', topic: 'projects/acme/topics/out', maxInFlight: 500, maxLedgerIds: 100 }),
    ).toThrow(/maxLedgerIds: .*at least maxInFlight \(500\)/);
  });

  it('parses full topic names too', () => {
    expect(parseNamespaceTopic('to', 'persistent://t/ns/events').topic).toBe('events');
  });
});

describe('RecentIds', () => {
  it('remembers up to its capacity and forgets the oldest first', () => {
    const r = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'a', 'd']) r.add(id);
    expect(r.size).toBe(3);
    expect(r.has('a')).toBe(false);
    expect(['b', 'c', 'd'].every((id) => r.has(id))).toBe(true);
  });
});

describe("PubsubDeduplicator (the sink's de-duplication contract)", () => {
  it('handles a key once, passes messages without one, and forgets the oldest keys past maxKeys', () => {
    const d = new PubsubDeduplicator({ maxKeys: 2 });
    const k = (topic: string, id: string) => ({ [IDEMPOTENCY_KEY_ATTRIBUTE]: idempotencyKey(topic, id), decision: 'approve' });
    expect(idempotencyKey('persistent://t/ns/predictions-partition-1', '7:3:1:-1')).toBe(
      'persistent://t/ns/predictions-partition-1/7:3:1:-1',
    );
    expect(d.first(k('persistent://t/ns/p', '1:0:-1:-1'))).toBe(true);
    expect(d.first(k('persistent://t/ns/p', '1:0:-1:-1'))).toBe(false);
    // The same message id on another partition is another message.
    expect(d.first(k('persistent://t/ns/p-partition-1', '1:0:-1:-1'))).toBe(true);
    expect(d.first({ decision: 'approve' })).toBe(true);
    expect(d.first({ decision: 'approve' })).toBe(true);
    expect(d.first(k('persistent://t/ns/p', '1:1:-1:-1'))).toBe(true);
    // Capacity 2: the first key is forgotten now.
    expect(d.first(k('persistent://t/ns/p', '1:0:-1:-1'))).toBe(true);
    expect(d.stats).toEqual({ duplicates: 1, unkeyed: 2, remembered: 2 });
    expect(() => new PubsubDeduplicator({ maxKeys: 0 })).toThrow(/maxKeys/);
  });
});

describe('pubsubRefusal', () => {
  it("checks Pub/Sub's publish limits before a publish", () => {
    expect(pubsubRefusal(Buffer.from('x'), { a: 'b' }, 'k')).toBeUndefined();
    expect(pubsubRefusal(Buffer.from('x'), { a: 'v'.repeat(1025) }, 'k')).toMatch(/attribute "a" is 1025 bytes/);
    expect(pubsubRefusal(Buffer.from('x'), { ['k'.repeat(257)]: 'v' }, 'k')).toMatch(/over Pub\/Sub's 256 bytes/);
    expect(pubsubRefusal(Buffer.from('x'), Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, 'v'])), 'k')).toMatch(
      /101 attributes/,
    );
    expect(pubsubRefusal(Buffer.from('x'), { googx: 'v' }, 'k')).toMatch(/reserves/);
    expect(pubsubRefusal(Buffer.from('x'), {}, 'k'.repeat(1025))).toMatch(/ordering key/);
  });
});

describe("dead-letter records (#21: sealed like the worker's)", () => {
  it('keep reason, error code and ids in the clear; the original only sealed under the tenant key', () => {
    const keyring = compileKeyring(newKeyringDocument('k1'), 'keys');
    const d = deadLetterRecord(
      'schema-mismatch',
      new BeamlineError('BL_PULSAR_SCHEMA_ENCODE', 'x'.repeat(600)),
      {
        source: 'projects/p/subscriptions/s',
        messageId: '7',
        key: 'RIDER-4111',
        keyInClear: false,
        publishTimeMs: 1,
        properties: { a: 'b' },
        payload: Buffer.from('{"card":"4111"}'),
      },
      2,
      keyring,
    );
    expect(d).toMatchObject({
      reason: 'schema-mismatch',
      errorCode: 'BL_PULSAR_SCHEMA_ENCODE',
      topic: 'projects/p/subscriptions/s',
      messageId: '7',
      key: null,
      payloadBytes: 15,
      failedAtMs: 2,
      sealed: { v: 1, kid: 'k1' },
    });
    const wire = deadLetterMessage(d);
    expect(wire.key).toBeUndefined();
    expect(String(wire.payload)).not.toContain('4111');
    expect(wire.properties).toEqual({
      'beamline.reason': 'schema-mismatch',
      'beamline.error-code': 'BL_PULSAR_SCHEMA_ENCODE',
      'beamline.source-message-id': '7',
    });
    // `beamline dlq show --decrypt` opens it like a worker's dead letter.
    const content = openDeadLetter(d as unknown as DeadLetterRecord, keyring);
    expect(content).toMatchObject({
      key: 'RIDER-4111',
      properties: { a: 'b' },
      payloadBase64: Buffer.from('{"card":"4111"}').toString('base64'),
    });
    expect(content.errorMessage.length).toBe(500);
    // Without a tenant key nothing of the original is kept; a sink's output key stays in the clear.
    const plain = deadLetterRecord(
      'missing-ordering-key',
      new Error('no key'),
      {
        source: 'persistent://t/ns/predictions',
        messageId: '8',
        key: 'tok_1',
        keyInClear: true,
        publishTimeMs: 1,
        properties: {},
        payload: Buffer.from('p'),
      },
      2,
      undefined,
    );
    expect(plain).toMatchObject({ errorCode: 'BL_BRIDGE_MISSING_ORDERING_KEY', key: 'tok_1', sealed: null, payloadBytes: 1 });
    expect(deadLetterMessage(plain).key).toBe('tok_1');
  });
});

describe('beamline bridge', () => {
  it('prints help, and refuses an unknown verb or a bad name before connecting', async () => {
    const h = io();
    expect(await main(['bridge', '--help'], h)).toBe(0);
    expect(h.out.join('\n')).toMatch(/pubsub-source --subscription projects\/P\/subscriptions\/S --to T\/NS\/events/);
    const u = io();
    expect(await main(['bridge', 'kafka-source'], u)).toBe(2);
    expect(u.err.join('\n')).toMatch(/unknown verb "kafka-source"; use pubsub-source or pubsub-sink/);
    const b = io({ PULSAR_SERVICE_URL: 'pulsar://127.0.0.1:1', PULSAR_ADMIN_URL: 'http://127.0.0.1:1' });
    expect(await main(['bridge', 'pubsub-sink', '--from', 'a/b/predictions', '--topic', 'decisions'], b)).toBe(2);
    expect(b.err.join('\n')).toMatch(/--topic: invalid value "decisions"/);
    const o = io();
    expect(await main(['--help'], o)).toBe(0);
    expect(o.out.join('\n')).toMatch(/bridge/);
  });
});
