/**
 * #23: what `beamline features export` and `beamline model evaluate` share: the worker file's
 * scoring options (the features the worker computes) and the --from/--to window.
 */
import { checkWindow, type WorkerFile } from '../functions/control-plane.ts';
import { usageError } from './io.ts';
import { readWorkerFile } from './worker-file.ts';

export type ScoringOptions = NonNullable<WorkerFile['scoring']>;

/** The built-in scoring handler's options from the worker file the namespace's worker runs. */
export async function scoringFromWorkerFile(path: string | boolean | undefined): Promise<ScoringOptions> {
  if (typeof path !== 'string') {
    throw usageError('missing --worker-file FILE: the worker file the namespace runs (its scoring.features are the features to compute)');
  }
  const file = await readWorkerFile(path);
  if (file.scoring === undefined) {
    throw usageError(`--worker-file ${path}: no scoring section; export and evaluate need the built-in scoring handler's scoring.features`);
  }
  return file.scoring;
}

/** An ISO time (2026-01-01T00:00:00Z), epoch ms, or a duration before now (15m, 2h, 7d). */
export function parseTime(flag: string, value: string | boolean | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw usageError(`--${flag}: give a time (ISO 8601, epoch ms, or a duration ago such as 2h)`);
  const ago = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(value);
  if (ago !== null) return Math.round(nowMs - Number(ago[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[ago[2] as 's' | 'm' | 'h' | 'd']);
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (!Number.isFinite(t))
    throw usageError(
      `--${flag}: invalid time ${JSON.stringify(value)}; use ISO 8601 (2026-01-01T00:00:00Z), epoch ms, or a duration ago (15m, 2h, 7d)`,
    );
  return t;
}

export function parseWindow(flags: Readonly<Record<string, string | boolean | undefined>>): { fromMs?: number; toMs?: number } {
  const fromMs = parseTime('from', flags['from']);
  const toMs = parseTime('to', flags['to']);
  checkWindow(fromMs, toMs);
  return { ...(fromMs === undefined ? {} : { fromMs }), ...(toMs === undefined ? {} : { toMs }) };
}

/** A share from 0 to 1 (--min-precision 0.95). */
export function parseShare(flag: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n) || n < 0 || n > 1)
    throw usageError(`--${flag}: invalid value ${JSON.stringify(value)}; use a share from 0 to 1, e.g. 0.95`);
  return n;
}
