import { BeamlineError, ConfigError } from '../../functions/index.ts';
import { TENANTS_ERROR_CODES } from '../errors.ts';

/**
 * Every mistake in a spec at once (not just the first), each naming field path, value and fix,
 * so one edit-validate round fixes them all.
 */
export class TenantSpecError extends BeamlineError {
  readonly problems: readonly ConfigError[];
  constructor(problems: readonly ConfigError[], source: string) {
    const lines = problems.map((p) => `  - ${p.message}`).join('\n');
    super(TENANTS_ERROR_CODES.specInvalid, `${source}: ${problems.length} problem(s) in tenant spec:\n${lines}`, {
      details: { source, problems: problems.map((p) => ({ field: p.field, message: p.message })) },
    });
    this.problems = problems;
  }
}

export class Problems {
  readonly list: ConfigError[] = [];
  add(field: string, value: unknown, fix: string): void {
    this.list.push(new ConfigError(field, value, fix));
  }
}

/** Closest known word, for "did you mean" fixes on typos. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = levenshtein(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
