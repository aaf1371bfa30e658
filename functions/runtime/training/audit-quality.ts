/**
 * #23: `model compare` with ground truth: the audit trail's decisions (live, canary, and each
 * shadow's would-be decision on the same records) joined with the `labels` topic by event id.
 */
import type { AuditEvent, DecisionAuditEvent } from '../model-registry/index.ts';
import type { Label } from './labels.ts';

export interface SlotQuality {
  readonly slot: 'live' | 'canary' | 'shadow';
  readonly modelVersion: string;
  readonly labelled: number;
  readonly frauds: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly flaggedRecall: number | null;
  readonly honestBlockedRate: number | null;
}

export function qualityFromAudit(
  events: readonly AuditEvent[],
  labels: ReadonlyMap<string, Label>,
  options: { model?: string; fromMs?: number; toMs?: number } = {},
): SlotQuality[] {
  const prefix = options.model === undefined ? undefined : `${options.model}@`;
  const groups = new Map<string, { slot: SlotQuality['slot']; modelVersion: string; rows: Array<{ fraud: boolean; decision: string }> }>();
  const add = (slot: SlotQuality['slot'], modelVersion: string, fraud: boolean, decision: string): void => {
    if (prefix !== undefined && !modelVersion.startsWith(prefix)) return;
    const id = `${slot} ${modelVersion}`;
    const g = groups.get(id) ?? { slot, modelVersion, rows: [] };
    g.rows.push({ fraud, decision });
    groups.set(id, g);
  };
  const seen = new Set<string>();
  for (const e of events) {
    if (e.type !== 'decision') continue;
    const d = e as DecisionAuditEvent;
    const label = labels.get(d.eventId);
    // At-least-once: a redelivered event is decided (and audited) again; count it once (by event
    // id: #22 made traceId the W3C trace id, which one producer trace may share across events).
    if (label === undefined || d.modelVersion === null || seen.has(d.eventId)) continue;
    if ((options.fromMs !== undefined && d.eventTimeMs < options.fromMs) || (options.toMs !== undefined && d.eventTimeMs >= options.toMs))
      continue;
    seen.add(d.eventId);
    add(d.route === 'canary' ? 'canary' : 'live', d.modelVersion, label.fraud, d.output.decision);
    if (d.shadow !== null) add('shadow', d.shadow.modelVersion, label.fraud, d.shadow.decision);
  }
  return [...groups.values()].map((g) => {
    const frauds = g.rows.filter((r) => r.fraud);
    const honest = g.rows.filter((r) => !r.fraud);
    const blocked = g.rows.filter((r) => r.decision === 'block');
    return {
      slot: g.slot,
      modelVersion: g.modelVersion,
      labelled: g.rows.length,
      frauds: frauds.length,
      precision: blocked.length === 0 ? null : blocked.filter((r) => r.fraud).length / blocked.length,
      recall: frauds.length === 0 ? null : frauds.filter((r) => r.decision === 'block').length / frauds.length,
      flaggedRecall: frauds.length === 0 ? null : frauds.filter((r) => r.decision !== 'approve').length / frauds.length,
      honestBlockedRate: honest.length === 0 ? null : honest.filter((r) => r.decision === 'block').length / honest.length,
    };
  });
}
