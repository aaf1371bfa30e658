/**
 * #23: what `beamline features export` and `beamline model evaluate` share: the worker file's
 * scoring options (the features the worker computes) and the --from/--to window.
 */
import {
  checkWindow,
  namespacePiiTokenizer,
  namespaceSubjectFields,
  type PiiTokenizer,
  type TenantKeyring,
  type WorkerFile,
} from '../functions/control-plane.ts';
import { adminFromFlags, keyringFromFlags } from './connect.ts';
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

/** `--admin-url`: where a replay reads the namespace's PII marks (export, evaluate). */
export const REPLAY_ADMIN_FLAG = {
  'admin-url': {
    type: 'string',
    env: 'PULSAR_ADMIN_URL',
    description: "export, evaluate: Pulsar admin URL, to read the namespace's PII marks and tokenize as the worker does",
  },
} as const;

/**
 * #21/#23: a replay of the events tokenizes them as the worker's ingress does, from the PII marks
 * `tenant apply` put on the namespace and the tenant's keys (`--keys-file`/BEAMLINE_KEYS_FILE).
 * Without an admin URL the marks cannot be read: `warn` says so and events replay as stored.
 */
export async function replayPii(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
  namespace: string,
  warn: (line: string) => void,
): Promise<ReplayTokenization> {
  if (typeof flags['admin-url'] !== 'string') {
    warn(
      "warning: no --admin-url (or PULSAR_ADMIN_URL): the namespace's PII marks were not read, so events replay as stored, untokenized; pass it to tokenize as the worker does",
    );
    return {};
  }
  const properties = await adminFromFlags(flags).namespaces.getProperties(namespace);
  const keyring = keyringFromFlags(flags, env);
  const pii = namespacePiiTokenizer(properties, 'events', keyring);
  // #21: a namespace with a data subject tokenizes each subject under its own key.
  const fields = namespaceSubjectFields(properties, 'events', keyring);
  return {
    ...(pii === undefined ? {} : { pii }),
    ...(fields === undefined || keyring === undefined ? {} : { subjects: { keyring, fields } }),
  };
}

/** How a replay tokenizes: the namespace's tokenizer, and its subjects' keys where it names one. */
export interface ReplayTokenization {
  pii?: PiiTokenizer;
  subjects?: { keyring: TenantKeyring; fields: readonly string[] };
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
