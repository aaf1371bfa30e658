import type { Change, TenantPlan } from './types.ts';

/** Plan as text: one numbered line per change, in apply order, with before -> after. */
export function formatPlan(plan: TenantPlan): string {
  const lines: string[] = [];
  if (plan.changes.length === 0) lines.push(`tenant ${plan.tenant}: no changes; the cluster matches the spec`);
  else lines.push(`tenant ${plan.tenant}: ${plan.changes.length} change(s), in apply order:`);
  plan.changes.forEach((c, i) => lines.push(`  ${String(i + 1).padStart(3)}. ${formatChange(c)}`));
  for (const b of plan.blockers) lines.push(`  BLOCKED: ${b}`);
  for (const n of plan.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

export function formatChange(c: Change): string {
  const sign =
    c.op.startsWith('create') || c.op.startsWith('grant') || c.op.startsWith('upload')
      ? '+'
      : c.op.startsWith('remove') || c.op.startsWith('revoke')
        ? '-'
        : '~';
  const key = c.key === undefined ? '' : ` [${c.key}]`;
  const what = c.op === 'upload-schema' ? schemaSummary(c) : c.before === null ? short(c.after) : `${short(c.before)} -> ${short(c.after)}`;
  return `${sign} ${c.op} ${c.target}${key}: ${what}`;
}

function schemaSummary(c: Change): string {
  const before = c.before as { version: number } | null;
  const after = c.after as { type: string; data: string };
  let name = after.type;
  try {
    const parsed = JSON.parse(after.data) as { name?: string; fields?: unknown[] };
    name = `${after.type} ${parsed.name ?? ''} (${parsed.fields?.length ?? 0} fields)`;
  } catch {
    // keep the bare type
  }
  return before === null ? name : `new version after v${before.version}: ${name}`;
}

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'unset' : s.length > 160 ? `${s.slice(0, 157)}...` : s;
}
