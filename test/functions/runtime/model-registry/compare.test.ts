import { describe, expect, it } from 'vitest';
import { compareFromAudit, type AuditEvent, type DecisionAuditEvent } from '../../../../functions/runtime/model-registry/index.ts';

function decision(over: Partial<DecisionAuditEvent> & Pick<DecisionAuditEvent, 'modelVersion'>): DecisionAuditEvent {
  return {
    type: 'decision',
    traceId: 't',
    eventId: 'e',
    key: 'k',
    inputs: { a: 1 },
    output: { decision: 'approve', score: 0.1, fallbackReason: null },
    policyVersion: 'p1',
    route: 'live',
    latencyMs: 2,
    shadow: null,
    eventTimeMs: 1000,
    ...over,
  };
}

describe('compare from the audit trail', () => {
  it('pairs shadow scores with the deciding score, and compares canary by distribution', () => {
    const events: AuditEvent[] = [
      { type: 'promoted', model: 'fraud', version: '1', actor: 'a', atMs: 0 },
      decision({ modelVersion: 'fraud@1', shadow: { modelVersion: 'fraud@2', score: 0.2, decision: 'approve', latencyMs: 4 } }),
      decision({
        modelVersion: 'fraud@1',
        output: { decision: 'review', score: 0.6, fallbackReason: null },
        shadow: { modelVersion: 'fraud@2', score: 0.4, decision: 'approve', latencyMs: 6 },
      }),
      decision({
        modelVersion: 'fraud@2',
        route: 'canary',
        output: { decision: 'block', score: 0.95, fallbackReason: null },
        latencyMs: 8,
      }),
      decision({ modelVersion: 'other@1' }),
      decision({ modelVersion: null, output: { decision: 'review', score: null, fallbackReason: 'no-model' } }),
    ];
    const r = compareFromAudit(events, { model: 'fraud' });
    expect(r.decisions).toBe(3);
    expect(r.live).toEqual([
      {
        modelVersion: 'fraud@1',
        decisions: 2,
        meanScore: 0.35,
        decisionShare: { approve: 0.5, review: 0.5, block: 0 },
        latencyP50Ms: 2,
        latencyP99Ms: 2,
      },
    ]);
    expect(r.shadow).toHaveLength(1);
    expect(r.shadow[0]).toMatchObject({ modelVersion: 'fraud@2', compared: 2, agreementRate: 0.5, latencyP50Ms: 6, latencyP99Ms: 6 });
    expect(r.shadow[0]?.meanScoreDrift).toBeCloseTo(-0.05);
    expect(r.shadow[0]?.meanAbsScoreDiff).toBeCloseTo(0.15);
    expect(r.canary[0]).toMatchObject({ modelVersion: 'fraud@2', decisions: 1, decisionShare: { block: 1 }, latencyP50Ms: 8 });
    expect(r.canary[0]?.scoreDriftVsLive).toBeCloseTo(0.6);
  });

  it('is empty without decisions', () => {
    expect(compareFromAudit([])).toEqual({ decisions: 0, live: [], canary: [], shadow: [] });
  });
});
