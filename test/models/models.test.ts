import { describe, expect, it } from 'vitest';
import type { BeamlineError } from '../../functions/index.ts';
import {
  REVIEW_ITEM_SCHEMA,
  isReviewOutcome,
  avroSchema,
  type CompareReport,
  type ModelManifest,
  type RolloutState,
} from '../../functions/control-plane.ts';
import { formatCompare, formatDescribe, formatList, parseValidationMetrics, progressPrinter, renderProgress } from '../../models/index.ts';
import { decodeReviewPayload } from '../../review/index.ts';

const rollout: RolloutState = {
  name: 'fraud',
  live: '1',
  history: [],
  shadow: '3',
  canary: { version: '2', percent: 10 },
  revision: 4,
  updatedAtMs: 0,
  updatedBy: 'dana',
};
const manifest = (version: string, extra: Partial<ModelManifest> = {}): ModelManifest => ({
  name: 'fraud',
  version,
  sha256: 'ab'.repeat(32),
  format: 'tfjs-layers',
  sizeBytes: 2048,
  signature: { input: [4], output: [1] },
  metrics: { auc: 0.9 },
  author: 'dana',
  createdAtMs: 0,
  retiredAtMs: null,
  ...extra,
});

describe('push progress', () => {
  it('renders a bar with percent, bytes and phase', () => {
    expect(renderProgress({ phase: 'uploading', bytes: 0, totalBytes: 2048 })).toBe(
      '[........................]   0% 0 B/2.0 KiB uploading',
    );
    expect(renderProgress({ phase: 'uploaded', bytes: 6 * 1024 * 1024, totalBytes: 6 * 1024 * 1024 })).toBe(
      '[########################] 100% 6.0 MiB/6.0 MiB uploaded',
    );
  });

  it('prints each phase once', () => {
    const lines: string[] = [];
    const p = progressPrinter((l) => lines.push(l));
    p({ phase: 'validating', bytes: 0, totalBytes: 10 });
    p({ phase: 'validating', bytes: 0, totalBytes: 10 });
    p({ phase: 'done', bytes: 10, totalBytes: 10 });
    expect(lines).toHaveLength(2);
  });
});

describe('validation files', () => {
  it('accept flat or nested metrics and refuse non-numbers', () => {
    expect(parseValidationMetrics({ auc: 0.9 })).toEqual({ auc: 0.9 });
    expect(parseValidationMetrics({ metrics: { auc: 0.9, recall: 0.7 }, dataset: 'x' })).toEqual({ auc: 0.9, recall: 0.7 });
    let err: BeamlineError | undefined;
    try {
      parseValidationMetrics({ auc: 'good' }, 'v.json');
    } catch (e) {
      err = e as BeamlineError;
    }
    expect(err?.code).toBe('BL_MODELS_VALIDATION_FILE');
    expect(err?.message).toContain('v.json: metric "auc"');
  });
});

describe('reports', () => {
  it('list and describe show each version and its role', () => {
    expect(formatList([])).toBe('no models in this namespace');
    expect(formatList([{ name: 'fraud', versions: [manifest('1')], rollout }])).toContain('live=1 canary=2@10% shadow=3');
    const text = formatDescribe('fraud', [manifest('1'), manifest('2'), manifest('3'), manifest('0', { retiredAtMs: 5 })], rollout);
    expect(text).toMatch(/^1 +live /m);
    expect(text).toMatch(/^2 +canary 10% /m);
    expect(text).toMatch(/^3 +shadow /m);
    expect(text).toMatch(/^0 +retired /m);
  });

  it('compare shows agreement, drift and latency', () => {
    const r: CompareReport = {
      decisions: 3,
      live: [
        {
          modelVersion: 'fraud@1',
          decisions: 2,
          meanScore: 0.2,
          decisionShare: { approve: 1, review: 0, block: 0 },
          latencyP50Ms: 1,
          latencyP99Ms: 2,
        },
      ],
      canary: [
        {
          modelVersion: 'fraud@2',
          decisions: 1,
          meanScore: 0.3,
          decisionShare: { approve: 1, review: 0, block: 0 },
          latencyP50Ms: 1,
          latencyP99Ms: 1,
          scoreDriftVsLive: 0.1,
        },
      ],
      shadow: [
        {
          modelVersion: 'fraud@3',
          compared: 2,
          agreementRate: 0.5,
          meanScoreDrift: -0.1,
          meanAbsScoreDiff: 0.2,
          latencyP50Ms: 3,
          latencyP99Ms: 4,
        },
      ],
    };
    const text = formatCompare(r);
    expect(text).toContain('agreement 50.0%');
    expect(text).toContain('drift vs live 0.100');
    expect(formatCompare({ decisions: 0, live: [], canary: [], shadow: [] })).toBe('no decisions in the audit trail yet');
  });
});

describe('review topic payloads', () => {
  it('decode from JSON text and from Avro in the standard ReviewItem schema', () => {
    const item = {
      eventId: 'ev-1',
      key: 'card-1',
      status: 'open',
      score: 0.6,
      modelVersion: 'fraud@1',
      policyVersion: 'p1',
      features: { amount: 3 },
      traceId: '1:2:-1:0',
      eventTime: 1000,
    };
    expect(decodeReviewPayload(Buffer.from(JSON.stringify(item)))).toEqual(item);
    expect(decodeReviewPayload(avroSchema(REVIEW_ITEM_SCHEMA).encode(item))).toMatchObject({
      eventId: 'ev-1',
      status: 'open',
      score: 0.6,
      features: { amount: 3 },
    });
    expect(decodeReviewPayload(Buffer.from([0xff, 0x01]))).toBeUndefined();
  });

  it('keep an outcome an outcome in Avro (who decided, when), and read records written in the schema before the outcome fields (#21)', () => {
    const outcome = {
      eventId: 'ev-2',
      key: null,
      status: 'rejected',
      score: 0.9,
      modelVersion: null,
      policyVersion: 'p1',
      features: null,
      traceId: 't',
      eventTime: 1000,
      type: 'review-outcome',
      decidedBy: 'ana',
      decidedAtMs: 2000,
      timeToDecisionMs: 1000,
      note: 'stolen card',
    };
    const decoded = decodeReviewPayload(avroSchema(REVIEW_ITEM_SCHEMA).encode(outcome));
    expect(decoded).toMatchObject({ type: 'review-outcome', decidedBy: 'ana', decidedAtMs: 2000, note: 'stolen card' });
    expect(isReviewOutcome(decoded as Record<string, unknown>)).toBe(true);
    const legacy = avroSchema({
      ...REVIEW_ITEM_SCHEMA,
      fields: REVIEW_ITEM_SCHEMA.fields.filter((f) => !['type', 'decidedBy', 'decidedAtMs', 'timeToDecisionMs', 'note'].includes(f.name)),
    });
    const old = decodeReviewPayload(legacy.encode(outcome));
    expect(old).toMatchObject({ eventId: 'ev-2', status: 'rejected' });
    // An outcome that lost its type to the old schema is still an outcome; an item is not.
    expect(isReviewOutcome(old as Record<string, unknown>)).toBe(true);
    expect(isReviewOutcome({ ...outcome, status: 'open', type: null })).toBe(false);
  });
});
