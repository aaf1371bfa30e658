/**
 * #23: point-in-time training sets from the stream. The namespace's events are replayed through
 * the built-in scoring handler's own feature code (compileFeatureExtractor, the function the
 * worker calls), with per-key history carried from the first retained event, so each row holds
 * exactly the features the worker had at that event's time. Labels are joined by event id.
 * Where the namespace marks PII, events are tokenized first, as the worker's ingress does
 * (namespacePiiTokenizer): the same features, and no raw PII value in a row.
 */
import { systemClock } from '../../clock.ts';
import type { PiiTokenizer, TenantKeyring } from '../../governance/index.ts';
import { SchemaRegistry, type PulsarClient } from '../../pulsar/index.ts';
import {
  compileFeatureExtractor,
  readField,
  type FeatureExtractor,
  type FeatureHistoryEntry,
  type FeatureSpec,
} from '../feature-extractor.ts';
import { TRAINING_ERROR_CODES, trainingError } from './errors.ts';
import { readLabels, type Label } from './labels.ts';
import { SubjectVault } from '../subject-vault.ts';
import { silentLogger, type Logger } from '../../telemetry.ts';

/** Per-key history in memory, stepped by the worker's extractor: the offline twin of keyed state. */
export class FeatureReplay {
  readonly extractor: FeatureExtractor;
  readonly #history = new Map<string, FeatureHistoryEntry[]>();

  constructor(features: readonly FeatureSpec[], historyMax?: number) {
    this.extractor = compileFeatureExtractor(features, historyMax);
  }

  get names(): readonly string[] {
    return this.extractor.names;
  }

  /** The features of one event, given every earlier event of its key pushed before it. */
  push(key: string | undefined, value: unknown, eventTimeMs: number): { values: Record<string, number>; row: Float32Array } {
    // Same state key as the worker's handler: events without a key share one history.
    const k = key ?? '';
    const s = this.extractor.step(this.#history.get(k) ?? [], value, eventTimeMs);
    this.#history.set(k, s.next);
    return { values: s.values, row: s.row };
  }
}

export interface TrainingRow {
  eventId: string;
  key: string | null;
  eventTimeMs: number;
  values: Record<string, number>;
  row: Float32Array;
  /** true fraud, false honest, null unlabelled. */
  label: boolean | null;
  labelSource: string | null;
}

export interface TrainingSet {
  names: readonly string[];
  rows: TrainingRow[];
  /** Events read from the topic (history before `fromMs` included). */
  eventsRead: number;
  /** Records the worker could not decode either (it dead-letters them): no features, no row. */
  skipped: number;
  labelled: number;
}

export interface TrainingSetOptions {
  client: PulsarClient;
  tenant: string;
  namespace: string;
  /** The worker file's `scoring.features`. */
  features: readonly FeatureSpec[];
  /** The worker file's `scoring.historyMax`. @default 256 */
  historyMax?: number;
  /** The worker file's `scoring.idField` (dot path). @default the message id, as the worker uses */
  idField?: string;
  /** Rows for events with event time >= fromMs (earlier events still build history). @default no bound */
  fromMs?: number;
  /** Rows for events with event time < toMs. @default no bound */
  toMs?: number;
  /** @default 'events' */
  inputTopic?: string;
  /** Labels to join; @default read from the namespace's `labels` topic */
  labels?: ReadonlyMap<string, Label>;
  /** @default 10000 */
  readTimeoutMs?: number;
  /**
   * The namespace's PII tokenizer (namespacePiiTokenizer), applied to each event and its key
   * before features, as at the worker's ingress. @default none: events as stored
   */
  pii?: PiiTokenizer;
  /**
   * #21: the namespace names a data subject: each event is tokenized under its subject's key, read
   * from the `subject-keys` topic (never written: a subject without a key gets a throwaway one).
   * @default none
   */
  subjects?: { keyring: TenantKeyring; fields: readonly string[] };
  /** Where the replay's warnings go (a child of the caller's root logger). @default silent */
  log?: Logger;
}

export function checkWindow(fromMs: number | undefined, toMs: number | undefined): void {
  if (fromMs !== undefined && !Number.isFinite(fromMs))
    throw trainingError(TRAINING_ERROR_CODES.invalidWindow, `--from: invalid time ${fromMs}; use an ISO time or epoch ms`, {
      field: 'from',
    });
  if (toMs !== undefined && !Number.isFinite(toMs))
    throw trainingError(TRAINING_ERROR_CODES.invalidWindow, `--to: invalid time ${toMs}; use an ISO time or epoch ms`, { field: 'to' });
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) {
    throw trainingError(
      TRAINING_ERROR_CODES.invalidWindow,
      `--to (${new Date(toMs).toISOString()}) is not after --from (${new Date(fromMs).toISOString()}); give a window with to > from`,
      {
        fromMs,
        toMs,
      },
    );
  }
}

/** Replays the input topic up to its current end through the worker's feature code. */
export async function exportTrainingSet(o: TrainingSetOptions): Promise<TrainingSet> {
  checkWindow(o.fromMs, o.toMs);
  const replay = new FeatureReplay(o.features, o.historyMax);
  const labels =
    o.labels ??
    (await readLabels(o.client, o.tenant, o.namespace, o.readTimeoutMs === undefined ? {} : { readTimeoutMs: o.readTimeoutMs }));
  const client = o.client;
  const schemas = new SchemaRegistry({ fetch: async (topic, version) => (await client.getSchema(topic, version))?.info });
  const reader = await client.createReader({
    topic: `persistent://${o.tenant}/${o.namespace}/${o.inputTopic ?? 'events'}`,
    startMessageId: 'earliest',
    receiverQueueSize: 1000,
  });
  const keysView =
    o.subjects === undefined ? undefined : await client.createTableView({ topic: `persistent://${o.tenant}/${o.namespace}/subject-keys` });
  const subjects =
    o.subjects === undefined || keysView === undefined
      ? undefined
      : new SubjectVault({ ...o.subjects, view: keysView, clock: systemClock, log: o.log ?? silentLogger });
  const rows: TrainingRow[] = [];
  let eventsRead = 0;
  let skipped = 0;
  let labelled = 0;
  try {
    while (await reader.hasMessageAvailable()) {
      const m = await reader.readNext(o.readTimeoutMs ?? 10_000);
      eventsRead++;
      let value: unknown;
      try {
        value = await schemas.decodeAuto(m.topic, m.schemaVersion, m.payload);
      } catch {
        skipped++;
        continue;
      }
      // As the worker's ingress: PII tokenized (a record it cannot tokenize is dead-lettered
      // there, skipped here), the producer's event time, else the publish time.
      const pii = subjects !== undefined && m.key !== undefined ? (await subjects.keysFor(m.key)).tokenizer : o.pii;
      if (pii !== undefined) {
        try {
          value = pii.tokenize(value);
        } catch {
          skipped++;
          continue;
        }
      }
      const key = m.key === undefined || pii === undefined ? m.key : pii.tokenizeKey(m.key);
      const eventTimeMs = m.eventTimeMs ?? m.publishTimeMs;
      const { values, row } = replay.push(key, value, eventTimeMs);
      if ((o.fromMs !== undefined && eventTimeMs < o.fromMs) || (o.toMs !== undefined && eventTimeMs >= o.toMs)) continue;
      const id = o.idField === undefined ? null : readField(value, o.idField);
      const eventId = id === null ? m.id.toString() : String(id);
      const label = labels.get(eventId);
      if (label !== undefined) labelled++;
      rows.push({ eventId, key: key ?? null, eventTimeMs, values, row, label: label?.fraud ?? null, labelSource: label?.source ?? null });
    }
  } finally {
    await reader.close();
    subjects?.close();
    await keysView?.close();
  }
  return { names: replay.names, rows, eventsRead, skipped, labelled };
}
