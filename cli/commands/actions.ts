import { createClient, createRootLogger, OtlpTracer, PrometheusMetrics } from '../../functions/control-plane.ts';
import { ActionConsumer, type WebhookSinkOptions } from '../../sinks/index.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { clientAuthFromFlags, CLIENT_FLAGS } from '../connect.ts';
import { COMMON_FLAGS, EXIT, usageError, NAMESPACE_FLAGS } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';

const FLAGS = {
  ...NAMESPACE_FLAGS,
  webhook: { type: 'string', short: 'w', description: 'sink URL(s), comma-separated; each gets its own retries and breaker (required)' },
  only: { type: 'string', description: 'action types to apply, comma-separated (default: all), e.g. block' },
  'timeout-ms': { type: 'string', description: 'per-call timeout in ms; slower counts as a failure (default 5000)' },
  'max-attempts': { type: 'string', description: 'attempts per delivery before the action is handed back (default 4)' },
  'reset-ms': { type: 'string', description: 'how long an open breaker waits before a trial call (default 10000)' },
  'redelivery-ms': { type: 'string', description: 'when a handed-back action comes again (default 5000)' },
  'otlp-endpoint': {
    type: 'string',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    description: "OpenTelemetry Collector OTLP/HTTP URL: spans continuing each action's trace (default: off)",
  },
  'trace-sample': { type: 'string', description: 'share of actions without a trace of their own to trace, 0 to 1 (default 0.1)' },
  ...CLIENT_FLAGS,
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

export const actionsNoun = defineNoun({
  name: 'actions',
  summary: 'apply actions to HTTP webhooks with retries, idempotency keys and a breaker per sink',
  flags: FLAGS,
  about: [
    "Applies a namespace's actions (the `actions` topic) until SIGTERM/SIGINT.",
    'Each action is POSTed as JSON with an Idempotency-Key header; transient failures are retried with',
    'backoff; each sink has a circuit breaker, and an action a sink cannot take now comes back later.',
    'Scoring never waits on a sink: the worker only writes the actions topic.',
  ],
  command: {
    usage: 'beamline actions -t T -n NS --webhook URL[,URL...] [--only block]',
    examples: [
      'beamline actions -t acme-payments -n central --webhook https://cards.acme.internal/block --only block',
      'beamline actions -t acme-payments -n central -w http://127.0.0.1:9000/hook --max-attempts 6 --reset-ms 30000',
    ],
    run: apply,
  },
});

async function apply({ args, io, mode }: VerbContext): Promise<number> {
  const need = (flag: keyof typeof FLAGS): string => requiredFlag(args, FLAGS, flag);
  const num = (flag: keyof typeof FLAGS): number | undefined => {
    const v = args.flags[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw usageError(`--${flag}: invalid value "${String(v)}"; use a whole number`);
    return n;
  };
  const tenant = need('tenant');
  const namespace = need('namespace');
  const only = typeof args.flags['only'] === 'string' ? args.flags['only'].split(',').map((s) => s.trim()) : undefined;
  const timeoutMs = num('timeout-ms');
  const maxAttempts = num('max-attempts');
  const resetTimeoutMs = num('reset-ms');
  const redeliveryDelayMs = num('redelivery-ms');
  const sinks: WebhookSinkOptions[] = need('webhook')
    .split(',')
    .map((url, i) => ({
      name: `webhook-${i + 1}`,
      url: url.trim(),
      ...(only === undefined ? {} : { actions: only }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
      ...(resetTimeoutMs === undefined ? {} : { resetTimeoutMs }),
    }));
  const log = createRootLogger().child({ component: 'beamline-actions' });
  const metrics = new PrometheusMetrics();
  const endpoint = args.flags['otlp-endpoint'];
  const sample = args.flags['trace-sample'];
  const tracer =
    typeof endpoint === 'string' && endpoint !== ''
      ? new OtlpTracer(
          { endpoint, serviceName: 'beamline-actions', ...(typeof sample === 'string' ? { sampleRatio: Number(sample) } : {}) },
          { log, metrics },
        )
      : undefined;
  const client = createClient({ serviceUrl: need('service-url'), ...clientAuthFromFlags(args.flags) });
  let consumer: ActionConsumer;
  try {
    consumer = await ActionConsumer.create({
      client,
      tenant,
      namespace,
      sinks,
      log,
      metrics,
      ...(tracer === undefined ? {} : { tracer }),
      ...(redeliveryDelayMs === undefined ? {} : { redeliveryDelayMs }),
    });
  } catch (err) {
    await client.close();
    await tracer?.close();
    throw err;
  }
  consumer.start();
  log.info({ sinks: sinks.map((s) => s.url) }, 'applying actions');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await consumer.close();
  await client.close();
  await tracer?.close();
  io.stdout(mode === 'json' ? JSON.stringify({ ok: true, stats: consumer.stats }, null, 2) : `stopped: ${JSON.stringify(consumer.stats)}`);
  return EXIT.ok;
}
