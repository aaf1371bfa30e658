import {
  createClient,
  createRootLogger,
  PrometheusMetrics,
  PulsarAdmin,
  startHttpEndpoints,
  type HttpEndpoints,
} from '../../functions/control-plane.ts';
import { openPubsub, parsePubsubTopicName, parseSubscriptionName, PubsubSink, PubsubSource } from '../../bridge/index.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { COMMON_FLAGS, EXIT, usageError } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';
import { clientAuthFromFlags, CLIENT_FLAGS, KEYS_FILE_FLAG, keyringFromFlags, tokenFromFlags } from '../connect.ts';

const FLAGS = {
  subscription: { type: 'string', description: 'pubsub-source: projects/P/subscriptions/S to read (required)' },
  to: { type: 'string', description: 'pubsub-source: T/NS/events to produce into (required)' },
  from: { type: 'string', description: 'pubsub-sink: T/NS/predictions (or actions) to consume (required)' },
  topic: { type: 'string', description: 'pubsub-sink: projects/P/topics/X to publish to (required)' },
  'max-messages': { type: 'string', description: 'pubsub-source: flow control, messages held unacked (default 1000)' },
  'max-bytes': { type: 'string', description: 'pubsub-source: flow control, bytes held unacked (default 67108864)' },
  streams: { type: 'string', description: 'pubsub-source: streaming-pull connections (default 5)' },
  'recovery-window-ms': { type: 'string', description: 'pubsub-source: how far back a start recognises redeliveries (default 900000)' },
  'max-in-flight': { type: 'string', description: 'pubsub-sink: publishes awaiting Pub/Sub (default 1000)' },
  'pulsar-subscription': { type: 'string', description: 'pubsub-sink: Pulsar subscription (default beamline-bridge-pubsub-sink)' },
  'reset-ms': { type: 'string', description: 'pubsub-sink: how long an open breaker waits before a trial publish (default 10000)' },
  'ledger-subscription': {
    type: 'string',
    description:
      'pubsub-sink: the ledger subscription that makes it exactly once (default <pulsar-subscription>-<tenant>.<ns>.<topic>-ledger)',
  },
  'no-ledger': {
    type: 'boolean',
    description: 'pubsub-sink: no ledger, at least once (copies share beamline.idempotency_key); delete the ledger subscription',
  },
  'allow-missing-ordering-key': { type: 'boolean', description: 'carry messages without an ordering key instead of dead-lettering them' },
  'emulator-host': {
    type: 'string',
    env: 'PUBSUB_EMULATOR_HOST',
    description: 'host:port of a Pub/Sub emulator (default: Google, credentials from the environment)',
  },
  ...KEYS_FILE_FLAG,
  ...CLIENT_FLAGS,
  'admin-url': { type: 'string', env: 'PULSAR_ADMIN_URL', description: 'http://host:8080' },
  'http-port': { type: 'string', description: 'port of /healthz, /readyz, /metrics (default 9465; -1 for none)' },
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

const ABOUT = [
  'Carries messages between Google Cloud Pub/Sub and a namespace, until SIGTERM/SIGINT.',
  'pubsub-source: ordering key -> key, attributes -> properties, publish time -> event time, JSON data',
  "  -> Avro by the topic's schema; acked in Pub/Sub once Pulsar persisted it; no duplicates after a",
  "  restart (fixed producer name, de-duplication, the Pub/Sub id kept in each message's properties).",
  'pubsub-sink: in order per key, acked in Pulsar once Pub/Sub accepted it, retries with backoff and a',
  '  breaker; exactly once through a ledger subscription of its own on the topic (read back at start,',
  '  one extra delivery per message); --no-ledger: at least once, each publish carries beamline.idempotency_key.',
  "Messages that cannot be carried go to the namespace's dead-letter topic with their reason; their content",
  '  is sealed under the tenant key (--keys-file), read it with beamline dlq show --decrypt.',
];

export const bridgeNoun = defineNoun({
  name: 'bridge',
  summary: 'bridge Google Cloud Pub/Sub: pubsub-source into events, pubsub-sink out of predictions or actions',
  flags: FLAGS,
  about: ABOUT,
  verbs: {
    'pubsub-source': {
      summary: "a Pub/Sub subscription into a namespace's events topic",
      usage: 'beamline bridge pubsub-source --subscription projects/P/subscriptions/S --to T/NS/events',
      examples: ['beamline bridge pubsub-source --subscription projects/acme/subscriptions/cards --to acme-payments/central/events'],
      run: carry,
    },
    'pubsub-sink': {
      summary: "a namespace's predictions or actions out to a Pub/Sub topic",
      usage: 'beamline bridge pubsub-sink --from T/NS/predictions --topic projects/P/topics/X',
      examples: ['beamline bridge pubsub-sink --from acme-payments/central/predictions --topic projects/acme/topics/decisions'],
      run: carry,
    },
  },
});

async function carry({ verb, args, io, mode }: VerbContext): Promise<number> {
  const need = (flag: keyof typeof FLAGS): string => requiredFlag(args, FLAGS, flag);
  const num = (flag: keyof typeof FLAGS): number | undefined => {
    const v = args.flags[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || (n < 0 && flag !== 'http-port'))
      throw usageError(`--${flag}: invalid value "${String(v)}"; use a whole number`);
    return n;
  };
  const opt = <T>(name: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [name]: v });
  const token = tokenFromFlags(args.flags);
  const emulatorHost = args.flags['emulator-host'];
  const requireOrderingKey = args.flags['allow-missing-ordering-key'] !== true;
  const httpPort = num('http-port') ?? 9465;
  const log = createRootLogger().child({ component: `beamline-bridge-${verb}` });
  const metrics = new PrometheusMetrics();
  // Names are checked before anything connects.
  const project =
    verb === 'pubsub-source'
      ? parseSubscriptionName('--subscription', need('subscription')).project
      : parsePubsubTopicName('--topic', need('topic')).project;
  const adminUrl = need('admin-url');
  const serviceUrl = need('service-url');
  // One token (--token or --token-file) and one CA (#21) for the client and the admin API.
  const clientAuth = clientAuthFromFlags(args.flags);
  const ca = clientAuth.tls?.ca;
  const client = createClient({ serviceUrl, ...clientAuth });
  const admin = new PulsarAdmin({ url: adminUrl, ...(token === undefined ? {} : { token }), ...(ca === undefined ? {} : { ca }) });
  const pubsub = openPubsub({ projectId: project, ...(typeof emulatorHost === 'string' ? { emulatorHost } : {}) });
  // #21: dead letters seal the original under the tenant key; without one nothing raw is kept.
  const keyring = keyringFromFlags(args.flags, io.env);
  if (keyring === undefined)
    log.warn({}, 'no tenant key (BEAMLINE_KEYS_FILE): dead letters keep reason, code and ids only, never the content');
  const deps = { client, admin, pubsub, log, metrics, ...(keyring === undefined ? {} : { keyring }) };
  let http: HttpEndpoints | undefined;
  let failed = false;
  try {
    const bridge =
      verb === 'pubsub-source'
        ? new PubsubSource(
            {
              subscription: need('subscription'),
              to: need('to'),
              requireOrderingKey,
              ...opt('maxMessages', num('max-messages')),
              ...opt('maxBytes', num('max-bytes')),
              ...opt('streams', num('streams')),
              ...opt('recoveryWindowMs', num('recovery-window-ms')),
            },
            deps,
          )
        : new PubsubSink(
            {
              from: need('from'),
              topic: need('topic'),
              requireOrderingKey,
              ...opt('maxInFlight', num('max-in-flight')),
              ...opt('breakerResetMs', num('reset-ms')),
              ...(typeof args.flags['pulsar-subscription'] === 'string' ? { subscription: args.flags['pulsar-subscription'] } : {}),
              ...(args.flags['no-ledger'] === true ? { ledger: false } : {}),
              ...(typeof args.flags['ledger-subscription'] === 'string' ? { ledgerSubscription: args.flags['ledger-subscription'] } : {}),
            },
            deps,
          );
    await bridge.start();
    if (httpPort >= 0) {
      http = await startHttpEndpoints(
        '0.0.0.0',
        httpPort,
        { healthy: () => bridge.state !== 'failed', ready: () => bridge.state === 'running', describe: () => bridge.state },
        metrics,
      );
    }
    const recovered =
      bridge instanceof PubsubSource
        ? { recoveredIds: bridge.stats.recoveredIds, recoveredLate: bridge.stats.recoveredLate }
        : { ledger: bridge.ledgerPath ?? null, recoveredIds: bridge.stats.recoveredIds };
    const recoveredText =
      bridge instanceof PubsubSource
        ? `; recovered ${bridge.stats.recoveredIds} ids, ${bridge.stats.recoveredLate} still landing`
        : bridge.ledgerPath === undefined
          ? '; no ledger (at least once)'
          : `; ledger ${bridge.ledgerPath}, recovered ${bridge.stats.recoveredIds} ids`;
    io.stdout(
      mode === 'json'
        ? JSON.stringify({ ok: true, state: 'running', metricsPort: http?.port ?? null, ...recovered })
        : `${verb} running${http === undefined ? '' : ` (metrics on :${http.port})`}${recoveredText}`,
    );
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        done();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      // A failed source ends the process so the orchestrator restarts it (with backoff).
      if (bridge instanceof PubsubSource) bridge.onFailed(() => ((failed = true), stop()));
    });
    await bridge.close();
    io.stdout(mode === 'json' ? JSON.stringify({ ok: !failed, stats: bridge.stats }) : `stopped: ${JSON.stringify(bridge.stats)}`);
  } finally {
    await http?.close();
    await client.close();
    await pubsub.close().catch(() => undefined);
  }
  return failed ? EXIT.failed : EXIT.ok;
}
