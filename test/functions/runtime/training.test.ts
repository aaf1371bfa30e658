/**
 * #23 without a broker: the replay gives the features the scoring handler computes (same
 * extractor), evaluation figures and floors, label checks, and the file formats.
 */
import { describe, expect, it } from 'vitest';
import type { ModelScore } from '../../../functions/contract.ts';
import { createTestDriver } from '../../../functions/index.ts';
import {
  FeatureReplay,
  checkEvaluationGate,
  compileDecisionPolicy,
  createScoringHandler,
  evaluateModel,
  formatTrainingSet,
  summarizeEvaluation,
  tableFormatOf,
  validateLabel,
  type FeatureSpec,
  type TrainingSet,
} from '../../../functions/control-plane.ts';

const FEATURES: FeatureSpec[] = [
  { name: 'amount', field: 'amount', log: true },
  { name: 'count_1m', window: { lookbackMs: 60_000, aggregate: 'count' } },
  { name: 'ratio', ratioToMean: { field: 'amount', lookbackMs: 3_600_000 } },
  { name: 'gap', secondsSinceLast: { capSeconds: 3600 } },
  { name: 'speed', speedKmh: { lat: 'lat', lon: 'lon' } },
];

describe('FeatureReplay', () => {
  it('gives each event the features the scoring handler computes for it, out-of-order events included', async () => {
    const seen: number[][] = [];
    const fallback: ModelScore = { kind: 'fallback', decision: 'review', reason: 'no-model' };
    const driver = createTestDriver({
      process: createScoringHandler({ features: FEATURES, audit: false }),
      score: async (f) => (seen.push(Array.from(f)), fallback),
    });
    const replay = new FeatureReplay(FEATURES);
    const offline: number[][] = [];
    let s = 9;
    const r = (): number => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31), s / 2 ** 31);
    for (let i = 0; i < 400; i++) {
      const key = `k${Math.floor(r() * 7)}`;
      // Mostly in order, some late by up to 20 s.
      const t = 1_000_000 + i * 1500 - (r() < 0.1 ? Math.floor(r() * 20_000) : 0);
      const value = { amount: r() * 100, lat: 40 + r(), lon: 2 + r() * 50 };
      await driver.send(value, { key, eventTimeMs: t });
      offline.push(Array.from(replay.push(key, value, t).row));
    }
    expect(offline).toEqual(seen);
    expect(Math.max(...offline.map((x) => x[1] ?? 0))).toBeGreaterThan(3);
  });
});

describe('evaluation', () => {
  const policy = compileDecisionPolicy({ reviewAtScore: 0.5, blockAtScore: 0.9, version: 'p' });

  it('counts precision, recall, blocked-or-review recall and honest blocked over labelled rows only', () => {
    const rows = [
      { label: true, score: 0.95, decision: 'block' as const, latencyMs: 1 },
      { label: true, score: 0.6, decision: 'review' as const, latencyMs: 2 },
      { label: true, score: 0.1, decision: 'approve' as const, latencyMs: 3 },
      { label: false, score: 0.92, decision: 'block' as const, latencyMs: 4 },
      { label: false, score: 0.2, decision: 'approve' as const, latencyMs: 5 },
      { label: null, score: 0.99, decision: 'block' as const, latencyMs: 6 },
    ];
    const r = summarizeEvaluation('m@1', policy, rows);
    expect(r).toMatchObject({
      rows: 6,
      labelled: 5,
      frauds: 3,
      honest: 2,
      blocked: 2,
      fraudsBlocked: 1,
      fraudsFlagged: 2,
      precision: 0.5,
      honestBlockedRate: 0.5,
    });
    expect(r.recall).toBeCloseTo(1 / 3);
    expect(r.flaggedRecall).toBeCloseTo(2 / 3);
    expect(() => checkEvaluationGate(r, { minPrecision: 0.6 })).toThrow(
      /refusing to promote m@1: precision 0\.5000 < --min-precision 0\.6/,
    );
    expect(() => checkEvaluationGate(r, { minPrecision: 0.5, minRecall: 0.3 })).not.toThrow();
  });

  it('scores rows through a ScoreFn and refuses a window without labels', async () => {
    const score = async (f: ArrayLike<number>): Promise<ModelScore> => ({
      kind: 'scored',
      score: f[0] ?? 0,
      outputs: Float32Array.of(f[0] ?? 0),
      modelVersion: 'm@1',
    });
    const rows = [0.95, 0.1, 0.97].map((v, i) => ({ row: Float32Array.of(v), label: i !== 1 }));
    let t = 0;
    const r = await evaluateModel('m@1', policy, rows, score, { now: () => (t += 2) });
    expect(r).toMatchObject({ precision: 1, recall: 1, fallbacks: 0 });
    expect(r.latencyP50Ms).toBeGreaterThan(0);
    await expect(evaluateModel('m@1', policy, [{ row: Float32Array.of(1), label: null }], score)).rejects.toMatchObject({
      code: 'BL_TRAINING_NO_LABELS',
    });
  });
});

describe('labels and files', () => {
  it('names the field and the fix for a bad label', () => {
    expect(() => validateLabel({ eventId: '', fraud: true, source: 'x' })).toThrow(/label\.eventId: invalid value ""/);
    expect(() => validateLabel({ eventId: 'e', fraud: 'yes' as unknown as boolean, source: 'x' })).toThrow(
      /label\.fraud: .*use true \(fraud\) or false \(honest\)/,
    );
    expect(validateLabel({ eventId: 'e', fraud: false, source: 'review', atMs: 5 })).toEqual({
      eventId: 'e',
      key: null,
      fraud: false,
      source: 'review',
      atMs: 5,
      by: null,
    });
  });

  it('writes CSV and JSON Lines with full-precision values and empty labels for unlabelled rows', () => {
    const set: TrainingSet = {
      names: ['a', 'b'],
      rows: [
        {
          eventId: 'e,1',
          key: 'k',
          eventTimeMs: 7,
          values: { a: 0.1 + 0.2, b: 2 },
          row: Float32Array.of(0.3, 2),
          label: true,
          labelSource: 'review',
        },
        { eventId: 'e2', key: null, eventTimeMs: 8, values: { a: 1, b: 0 }, row: Float32Array.of(1, 0), label: null, labelSource: null },
      ],
      eventsRead: 2,
      skipped: 0,
      labelled: 1,
    };
    expect(formatTrainingSet(set, 'csv')).toBe(
      'event_id,key,event_time_ms,a,b,label,label_source\n"e,1",k,7,0.30000000000000004,2,1,review\ne2,,8,1,0,,\n',
    );
    const lines = formatTrainingSet(set, 'jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({
      event_id: 'e,1',
      key: 'k',
      event_time_ms: 7,
      a: 0.30000000000000004,
      b: 2,
      label: 1,
      label_source: 'review',
    });
    expect(lines[1]).toMatchObject({ label: null });
    expect(tableFormatOf('x.csv')).toBe('csv');
    expect(tableFormatOf('x.jsonl')).toBe('jsonl');
    expect(tableFormatOf('x.parquet')).toBe('parquet');
    expect(() => tableFormatOf('x.xlsx')).toThrow(/name the file \.csv, \.jsonl or \.parquet/);
    const parquet = formatTrainingSet(set, 'parquet');
    expect(Buffer.isBuffer(parquet)).toBe(true);
    // Typed columns, the features in the model's order (pyarrow reads them back: parquet-pyarrow.test.ts).
    const text = parquet.toString('latin1');
    expect(text.startsWith('PAR1') && text.endsWith('PAR1')).toBe(true);
    for (const name of ['event_id', 'key', 'event_time_ms', 'a', 'b', 'label', 'label_source']) expect(text).toContain(name);
  });
});
