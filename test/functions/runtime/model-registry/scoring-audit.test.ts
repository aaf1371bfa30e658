/** The built-in scoring handler's #9 additions: shadow scores on predictions, one audit record per decision. */
import { describe, expect, it } from 'vitest';
import type { ModelScore, ScoreFn } from '../../../../functions/contract.ts';
import { createTestDriver } from '../../../../functions/runtime/testing/index.ts';
import { createScoringHandler } from '../../../../functions/runtime/scoring-handler.ts';
import {
  AUDIT_ENTRY_SCHEMA,
  decodeAuditPayload,
  type AuditEntry,
  type DecisionAuditEvent,
} from '../../../../functions/runtime/model-registry/index.ts';
import { avroSchema } from '../../../../functions/pulsar/index.ts';

describe('scoring handler with a registry router', () => {
  it('passes the key to ctx.score, records the shadow score, and audits each decision', async () => {
    const keys: (string | undefined)[] = [];
    const score: ScoreFn = async (f, o) => {
      keys.push(o?.key);
      const s: ModelScore = {
        kind: 'scored',
        score: 0.7,
        outputs: Float32Array.of(0.7),
        modelVersion: 'fraud@1',
        route: 'live',
        latencyMs: 1.5,
        shadow: { modelVersion: 'fraud@2', score: 0.95, latencyMs: 2 },
      };
      return s;
    };
    const driver = createTestDriver<{ amount: number }>({
      process: createScoringHandler({
        features: [{ name: 'amount', field: 'amount' }],
        policy: { reviewAtScore: 0.5, blockAtScore: 0.9, version: 'p3' },
      }),
      score,
    });
    await driver.send({ amount: 12 }, { key: 'card-1' });
    expect(keys).toEqual(['card-1']);
    const prediction = driver.outputs.find((o) => o.to === 'predictions')?.value;
    expect(prediction).toMatchObject({ decision: 'review', modelVersion: 'fraud@1', shadowScore: 0.95, shadowModelVersion: 'fraud@2' });
    const entries = driver.outputs.filter((o) => o.to === 'audit').map((o) => o.value as AuditEntry);
    expect(entries).toHaveLength(1);
    // The envelope tenant specs give the audit topic; the whole event is in detail.
    expect(entries[0]).toMatchObject({
      actor: 'fraud@1',
      action: 'decision',
      subject: expect.any(String),
      at: expect.any(Number),
    });
    // #22: the subject is the input message; traceId is a W3C trace id (new here: the driver sends no traceparent).
    expect((prediction as { traceId: string }).traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(entries[0]?.subject).not.toBe((prediction as { traceId: string }).traceId);
    const audits = entries.map((e) => decodeAuditPayload(Buffer.from(JSON.stringify(e))) as DecisionAuditEvent);
    expect(audits[0]).toMatchObject({
      type: 'decision',
      key: 'card-1',
      inputs: { amount: 12 },
      output: { decision: 'review', score: 0.7, fallbackReason: null },
      modelVersion: 'fraud@1',
      policyVersion: 'p3',
      route: 'live',
      latencyMs: 1.5,
      shadow: { modelVersion: 'fraud@2', score: 0.95, decision: 'block' },
    });
    expect(audits[0]?.traceId).toBe((prediction as { traceId: string }).traceId);
  });

  it('reads envelopes back from JSON text and from Avro (the tenant spec schema), skipping foreign payloads', () => {
    const event = { type: 'promoted', model: 'fraud', version: '2', actor: 'dana', atMs: 5 };
    const entry = { at: 5, actor: 'dana', action: 'promoted', subject: 'fraud@2', detail: JSON.stringify(event) };
    expect(decodeAuditPayload(Buffer.from(JSON.stringify(entry)))).toEqual(event);
    expect(decodeAuditPayload(avroSchema(AUDIT_ENTRY_SCHEMA).encode(entry))).toEqual(event);
    const acme = { ...AUDIT_ENTRY_SCHEMA, namespace: 'com.acme.payments' };
    expect(decodeAuditPayload(avroSchema(acme).encode(entry))).toEqual(event);
    expect(decodeAuditPayload(Buffer.from(JSON.stringify(event)))).toEqual(event);
    expect(decodeAuditPayload(Buffer.from('{"hello":1}'))).toBeUndefined();
  });

  it('writes no audit records when audit is off', async () => {
    const driver = createTestDriver<{ amount: number }>({
      process: createScoringHandler({ features: [{ name: 'amount', field: 'amount' }], audit: false }),
    });
    await driver.send({ amount: 1 }, { key: 'k' });
    expect(driver.outputs.filter((o) => o.to === 'audit')).toEqual([]);
  });
});
