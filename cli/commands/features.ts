/**
 * #23: `beamline features`: training sets from the stream and the labels that go with them.
 *   export: replay the namespace's events through the worker's own feature code, join labels, write Parquet/CSV/JSONL
 *   label:  write one label (confirmed fraud, or honest) on the namespace's `labels` topic
 */
import { writeFile } from 'node:fs/promises';
import {
  createClient,
  exportTrainingSet,
  formatTrainingSet,
  openLabelWriter,
  tableFormatOf,
  type PulsarClient,
} from '../../functions/control-plane.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { clientAuthFromFlags, CLIENT_FLAGS, KEYS_FILE_FLAG } from '../connect.ts';
import { EXIT, usageError, NAMESPACE_FLAGS } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';
import { parseWindow, replayPii, REPLAY_ADMIN_FLAG, scoringFromWorkerFile } from '../training-input.ts';

const FLAGS = {
  ...NAMESPACE_FLAGS,
  'worker-file': { type: 'string', short: 'c', description: 'export: the worker file the namespace runs (its scoring.features)' },
  from: { type: 'string', description: 'export: first event time (ISO 8601, epoch ms, or ago: 2h); earlier events still build history' },
  to: { type: 'string', description: 'export: end of the window, exclusive (default: the topic end)' },
  output: { type: 'string', short: 'o', description: 'export: the file to write, .parquet, .csv or .jsonl' },
  'labelled-only': { type: 'boolean', description: 'export: only rows that have a label' },
  'event-id': { type: 'string', description: 'label: the event labelled (its idField value, or message id)' },
  key: { type: 'string', description: 'label: the event key (e.g. the card id)' },
  fraud: { type: 'boolean', description: 'label: confirmed fraud' },
  honest: { type: 'boolean', description: 'label: confirmed honest' },
  source: { type: 'string', description: 'label: where it comes from (default feedback)' },
  by: { type: 'string', description: 'label: who confirmed it' },
  json: { type: 'boolean', description: 'print the result as JSON' },
  ...REPLAY_ADMIN_FLAG,
  ...KEYS_FILE_FLAG,
  ...CLIENT_FLAGS,
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies Record<string, FlagSpec>;

export const featuresNoun = defineNoun({
  name: 'features',
  summary: 'export point-in-time training sets from the stream (features + labels); write labels',
  flags: FLAGS,
  // -o names the file export writes; --json asks for JSON.
  output: 'json-flag',
  about: [
    'export replays the namespace events topic from its first retained event through the same feature code the worker',
    "runs (the worker file's scoring.features), so each row holds exactly the features the worker had at that event's",
    "time; rows are the events in [--from, --to). Labels come from the labels topic: analysts' review outcomes",
    '(rejected = fraud, approved = honest) and confirmed-fraud feedback written with `features label`; the latest wins.',
  ],
  verbs: {
    export: {
      summary:
        "replay the events through the worker's feature code (PII tokenized as the worker does), join labels, write Parquet, CSV or JSONL",
      usage:
        'beamline features export -t T -n NS -c worker.yaml [--from T0] [--to T1] -o train.parquet|train.csv|train.jsonl [--labelled-only]',
      examples: ['beamline features export -t acme-payments -n central -c worker.yaml --from 7d -o train.parquet'],
      run: features,
    },
    label: {
      summary: "write one label (confirmed fraud, or honest) on the namespace's labels topic",
      usage: 'beamline features label  -t T -n NS --event-id ID [--key K] --fraud|--honest [--source feedback] [--by NAME]',
      examples: ['beamline features label -t acme-payments -n central --event-id ev-1x2 --key card-000042 --fraud --source chargeback'],
      run: features,
    },
  },
});

async function features({ verb, args, io, mode }: VerbContext): Promise<number> {
  let client: PulsarClient | undefined;
  try {
    const need = (flag: keyof typeof FLAGS): string => requiredFlag(args, FLAGS, flag);
    const tenant = need('tenant');
    const namespace = need('namespace');
    const f = args.flags;
    if (verb === 'export') {
      // Local inputs first, so a typo fails before connecting.
      const out = need('output');
      const format = tableFormatOf(out);
      const scoring = await scoringFromWorkerFile(f['worker-file']);
      const window = parseWindow(f);
      const tokenization = await replayPii(f, io.env, `${tenant}/${namespace}`, (line) => io.stderr(line));
      client = createClient({ serviceUrl: need('service-url'), ...clientAuthFromFlags(f) });
      const set = await exportTrainingSet({
        client,
        tenant,
        namespace,
        features: scoring.features,
        ...(scoring.historyMax === undefined ? {} : { historyMax: scoring.historyMax }),
        ...(scoring.idField === undefined ? {} : { idField: scoring.idField }),
        ...window,
        ...tokenization,
      });
      const rows = f['labelled-only'] === true ? set.rows.filter((r) => r.label !== null) : set.rows;
      await writeFile(out, formatTrainingSet({ ...set, rows }, format));
      const frauds = rows.filter((r) => r.label === true).length;
      const summary = {
        file: out,
        format,
        rows: rows.length,
        labelled: set.labelled,
        frauds,
        eventsRead: set.eventsRead,
        skipped: set.skipped,
        features: set.names,
      };
      io.stdout(
        mode === 'json'
          ? JSON.stringify({ ok: true, ...summary }, null, 2)
          : `wrote ${rows.length} rows (${set.labelled} labelled, ${frauds} fraud) to ${out}; ${set.eventsRead} events replayed, ${set.skipped} undecodable skipped\nfeatures: ${set.names.join(', ')}`,
      );
      return EXIT.ok;
    }
    if ((f['fraud'] === true) === (f['honest'] === true)) throw usageError('give exactly one of --fraud or --honest');
    const eventId = need('event-id');
    client = createClient({ serviceUrl: need('service-url'), ...clientAuthFromFlags(f) });
    const writer = await openLabelWriter(client, tenant, namespace);
    try {
      const label = await writer.write({
        eventId,
        fraud: f['fraud'] === true,
        source: typeof f['source'] === 'string' ? f['source'] : 'feedback',
        ...(typeof f['key'] === 'string' ? { key: f['key'] } : {}),
        ...(typeof f['by'] === 'string' ? { by: f['by'] } : {}),
      });
      io.stdout(
        mode === 'json'
          ? JSON.stringify({ ok: true, label }, null, 2)
          : `labelled ${label.eventId} ${label.fraud ? 'fraud' : 'honest'} (${label.source})`,
      );
    } finally {
      await writer.close();
    }
    return EXIT.ok;
  } finally {
    await client?.close().catch(() => undefined);
  }
}
