/** Text renderings of registry state for the CLI (JSON output prints the objects as they are). */
import type { CompareReport, ModelManifest, RolloutState } from '../functions/control-plane.ts';

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null, digits = 3): string => (x === null ? '-' : x.toFixed(digits));

export function slotsOf(r: RolloutState): string {
  const parts = [`live=${r.live ?? '-'}`];
  if (r.canary !== null) parts.push(`canary=${r.canary.version}@${r.canary.percent}%`);
  if (r.shadow !== null) parts.push(`shadow=${r.shadow}`);
  return parts.join(' ');
}

export function formatList(models: readonly { name: string; versions: readonly ModelManifest[]; rollout: RolloutState }[]): string {
  if (models.length === 0) return 'no models in this namespace';
  return models.map((m) => `${m.name.padEnd(16)} ${String(m.versions.length).padStart(3)} versions  ${slotsOf(m.rollout)}`).join('\n');
}

export function formatDescribe(name: string, versions: readonly ModelManifest[], rollout: RolloutState): string {
  const role = (v: string): string =>
    v === rollout.live
      ? 'live'
      : v === rollout.canary?.version
        ? `canary ${rollout.canary.percent}%`
        : v === rollout.shadow
          ? 'shadow'
          : '';
  const lines = [`${name}: ${slotsOf(rollout)} (revision ${rollout.revision}${rollout.updatedBy ? `, by ${rollout.updatedBy}` : ''})`, ''];
  lines.push('version  role          format       size      sha256        author      created                   metrics');
  for (const m of versions) {
    const status = m.retiredAtMs !== null ? 'retired' : role(m.version);
    const metrics = Object.entries(m.metrics)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(
      `${m.version.padEnd(8)} ${status.padEnd(13)} ${m.format.padEnd(12)} ${String(m.sizeBytes).padStart(8)}  ${m.sha256.slice(0, 12)}  ${m.author.slice(0, 10).padEnd(10)}  ${new Date(m.createdAtMs).toISOString()}  ${metrics}`,
    );
  }
  return lines.join('\n');
}

export function formatCompare(r: CompareReport): string {
  if (r.decisions === 0) return 'no decisions in the audit trail yet';
  const lines = [`${r.decisions} decisions in the audit trail`, ''];
  for (const s of r.live)
    lines.push(
      `live    ${s.modelVersion.padEnd(14)} n=${s.decisions}  mean score ${num(s.meanScore)}  p50 ${num(s.latencyP50Ms, 2)} ms  p99 ${num(s.latencyP99Ms, 2)} ms`,
    );
  for (const s of r.canary) {
    lines.push(
      `canary  ${s.modelVersion.padEnd(14)} n=${s.decisions}  mean score ${num(s.meanScore)}  drift vs live ${num(s.scoreDriftVsLive)}  p50 ${num(s.latencyP50Ms, 2)} ms  p99 ${num(s.latencyP99Ms, 2)} ms`,
    );
  }
  for (const s of r.shadow) {
    lines.push(
      `shadow  ${s.modelVersion.padEnd(14)} n=${s.compared}  agreement ${pct(s.agreementRate)}  score drift ${num(s.meanScoreDrift)}  mean |diff| ${num(s.meanAbsScoreDiff)}  p50 ${num(s.latencyP50Ms, 2)} ms  p99 ${num(s.latencyP99Ms, 2)} ms`,
    );
  }
  if (r.canary.length === 0 && r.shadow.length === 0) lines.push('', 'no shadow or canary decisions to compare');
  return lines.join('\n');
}
