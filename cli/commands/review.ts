import { createClient, OtlpTracer } from '../../functions/control-plane.ts';
import { ReviewQueue, type ReviewEntry } from '../../review/index.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { actorFromFlags, clientAuthFromFlags, CLIENT_FLAGS } from '../connect.ts';
import { COMMON_FLAGS, EXIT, usageError, NAMESPACE_FLAGS } from '../io.ts';
import { defineNoun, type VerbContext, type VerbSpec } from '../noun.ts';

const FLAGS = {
  ...NAMESPACE_FLAGS,
  status: { type: 'string', short: 's', description: 'list: open (default), decided or all' },
  limit: { type: 'string', description: 'list: at most this many items (default 50)' },
  note: { type: 'string', description: 'approve/reject: a note kept with the outcome' },
  analyst: { type: 'string', description: "approve/reject: who decides, without auth only (with a token: the token's subject)" },
  'otlp-endpoint': {
    type: 'string',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    description: "approve/reject: OpenTelemetry Collector OTLP/HTTP URL; the decision continues the item's trace (default: off)",
  },
  ...CLIENT_FLAGS,
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

function line(e: ReviewEntry): string {
  const i = e.item;
  const status =
    e.outcome === undefined
      ? 'open'
      : `${e.outcome.status} by ${e.outcome.decidedBy} after ${(e.outcome.timeToDecisionMs / 1000).toFixed(1)} s`;
  return `${i.eventId.padEnd(20)} ${String(i.key ?? '-').padEnd(16)} score ${i.score === null ? '-' : i.score.toFixed(3)}  ${String(i.modelVersion ?? '-').padEnd(10)} ${new Date(e.openedAtMs).toISOString()}  ${status}`;
}

const reviewVerb = (summary: string, usage: string): VerbSpec => ({ summary, usage, run: review });

export const reviewNoun = defineNoun({
  name: 'review',
  summary: 'list, show, approve and reject items in the human review queue',
  flags: FLAGS,
  about: [
    'The queue holds the decisions in the review band of a namespace.',
    'Outcomes are events on the review topic and the audit topic, with the time to decision.',
  ],
  examples: [
    'beamline review list -t acme-payments -n central',
    'beamline review show 7f3a-19 -t acme-payments -n central -o json',
    'beamline review reject 7f3a-19 -t acme-payments -n central --note "card reported stolen"',
  ],
  verbs: {
    list: reviewVerb(
      'the open (or decided, or all) items, with time-to-decision figures',
      'beamline review list    -t T -n NS [--status open|decided|all] [--limit 50]',
    ),
    show: reviewVerb(
      'one item with its features (ID: the event id or trace id)',
      'beamline review show    ID -t T -n NS                 ID: the event id or trace id',
    ),
    approve: reviewVerb('decide an item honest', 'beamline review approve ID -t T -n NS [--note TEXT]'),
    reject: reviewVerb('decide an item fraud', 'beamline review reject  ID -t T -n NS [--note TEXT]'),
  },
});

async function review({ verb, args, io, mode }: VerbContext): Promise<number> {
  let close: (() => Promise<void>) | undefined;
  try {
    const need = (flag: keyof typeof FLAGS): string => requiredFlag(args, FLAGS, flag);
    const tenant = need('tenant');
    const namespace = need('namespace');
    const id = args.positionals[0];
    if (verb !== 'list' && id === undefined) throw usageError(`missing the item id: beamline review ${verb} ID -t T -n NS`);
    const status = (args.flags['status'] as string | undefined) ?? 'open';
    if (status !== 'open' && status !== 'decided' && status !== 'all')
      throw usageError(`--status: invalid value "${status}"; use open, decided or all`);
    const limit = args.flags['limit'] === undefined ? 50 : Number(args.flags['limit']);
    if (!Number.isInteger(limit) || limit < 1)
      throw usageError(`--limit: invalid value "${String(args.flags['limit'])}"; use a positive whole number`);
    const analyst = actorFromFlags(args.flags, 'analyst');
    const endpoint = args.flags['otlp-endpoint'];
    // A decision's span follows its item's sampling (parent-based); nothing starts new traces here.
    const tracer =
      typeof endpoint === 'string' && endpoint !== ''
        ? new OtlpTracer({ endpoint, sampleRatio: 0, serviceName: 'beamline-review' })
        : undefined;
    const client = createClient({ serviceUrl: need('service-url'), ...clientAuthFromFlags(args.flags) });
    close = async () => {
      await client.close();
      await tracer?.close();
    };
    const queue = await ReviewQueue.open({
      client,
      tenant,
      namespace,
      ...(typeof analyst === 'string' ? { analyst } : {}),
      ...(tracer === undefined ? {} : { tracer }),
    });
    close = async () => {
      await queue.close();
      await client.close();
      await tracer?.close();
    };
    if (verb === 'list') {
      const entries = queue.entries(status).slice(0, limit);
      const stats = queue.stats();
      const summary = `${stats.open} open, ${stats.decided} decided; time to decision p50 ${stats.timeToDecisionP50Ms === null ? '-' : `${(stats.timeToDecisionP50Ms / 1000).toFixed(1)} s`}, p90 ${stats.timeToDecisionP90Ms === null ? '-' : `${(stats.timeToDecisionP90Ms / 1000).toFixed(1)} s`}`;
      io.stdout(
        mode === 'json'
          ? JSON.stringify({ ok: true, items: entries, stats }, null, 2)
          : [...entries.map(line), entries.length === 0 ? `no ${status === 'all' ? '' : `${status} `}items` : '', summary]
              .filter((l) => l !== '')
              .join('\n'),
      );
      return EXIT.ok;
    }
    if (verb === 'show') {
      const e = queue.get(id as string);
      if (e === undefined) throw usageError(`no review item with event or trace id ${id} (beamline review list)`);
      const features = Object.entries(e.item.features ?? {}).map(([k, v]) => `  ${k} = ${v}`);
      io.stdout(
        mode === 'json'
          ? JSON.stringify({ ok: true, ...e }, null, 2)
          : [
              line(e),
              `trace ${e.item.traceId}  policy ${e.item.policyVersion}`,
              'features:',
              ...features,
              ...(e.outcome?.note ? [`note: ${e.outcome.note}`] : []),
            ].join('\n'),
      );
      return EXIT.ok;
    }
    const note = args.flags['note'];
    const outcome = await queue.decide(
      id as string,
      verb === 'approve' ? 'approved' : 'rejected',
      typeof note === 'string' ? { note } : {},
    );
    io.stdout(
      mode === 'json'
        ? JSON.stringify({ ok: true, outcome }, null, 2)
        : `${outcome.eventId} ${outcome.status} by ${outcome.decidedBy} after ${(outcome.timeToDecisionMs / 1000).toFixed(1)} s`,
    );
    return EXIT.ok;
  } finally {
    await close?.().catch(() => undefined);
  }
}
