import { dirname, resolve } from 'node:path';
import { loadWorkerFile, startWorker } from '../../functions/control-plane.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { caFromFlags, CLIENT_FLAGS, tokenFromFlags } from '../connect.ts';
import { COMMON_FLAGS, EXIT, NAMESPACE_FLAGS } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';
import { readWorkerFile } from '../worker-file.ts';

const FLAGS = {
  ...NAMESPACE_FLAGS,
  config: { type: 'string', short: 'c', description: 'worker file: handler, scoring features, policy, model' },
  ...CLIENT_FLAGS,
  'admin-url': { type: 'string', env: 'PULSAR_ADMIN_URL', description: 'http://host:8080' },
  guarantee: { type: 'string', description: 'effectively-once (default) or at-least-once' },
  'http-port': { type: 'string', description: 'port of /healthz, /readyz, /metrics (default 9464; -1 for none)' },
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

export const workerNoun = defineNoun({
  name: 'worker',
  summary: 'run the processing worker of a tenant namespace',
  about: ['Runs until SIGTERM/SIGINT; a failed worker ends the process so the orchestrator restarts it.'],
  flags: FLAGS,
  command: {
    usage: 'beamline worker --tenant T --namespace NS [--config worker.yaml]',
    examples: [
      'beamline worker -t acme-payments -n central -c tenants/examples/scoring.worker.yaml',
      'beamline token issue -r acme-payments-worker > worker.jwt && beamline worker -t acme-payments -n eu-west --token-file worker.jwt',
    ],
    run: work,
  },
});

async function work({ args }: VerbContext): Promise<number> {
  const need = (flag: keyof typeof FLAGS): string => requiredFlag(args, FLAGS, flag);
  // A missing flag is named before anything else is read or checked.
  const tenant = need('tenant');
  const namespace = need('namespace');
  const serviceUrl = need('service-url');
  const adminUrl = need('admin-url');
  const token = tokenFromFlags(args.flags);
  const ca = caFromFlags(args.flags);
  const configPath = args.flags['config'];
  const file = typeof configPath === 'string' ? await readWorkerFile(configPath) : {};
  const loaded = await loadWorkerFile(file, typeof configPath === 'string' ? dirname(resolve(configPath)) : process.cwd());
  const guarantee = (args.flags['guarantee'] as string | undefined) ?? loaded.guarantee;
  const httpPort = args.flags['http-port'] === undefined ? loaded.httpPort : Number(args.flags['http-port']);
  const running = await startWorker({
    tenant,
    namespace,
    serviceUrl,
    adminUrl,
    ...(token === undefined ? {} : { token }),
    ...(ca === undefined ? {} : { ca }),
    handler: loaded.handler,
    ...(loaded.model === undefined ? {} : { model: loaded.model }),
    ...(loaded.registry === undefined ? {} : { registry: loaded.registry }),
    ...(guarantee === undefined ? {} : { guarantee: guarantee as 'effectively-once' | 'at-least-once' }),
    ...(httpPort === undefined ? {} : { httpPort }),
    ...(loaded.httpHost === undefined ? {} : { httpHost: loaded.httpHost }),
    ...(loaded.drainDeadlineMs === undefined ? {} : { drainDeadlineMs: loaded.drainDeadlineMs }),
    ...(loaded.gpu ? { gpuCheck: true } : {}),
    ...(loaded.batchMaxRecords === undefined ? {} : { batchMaxRecords: loaded.batchMaxRecords }),
    ...(loaded.sloDecisionLatencyMs === undefined ? {} : { sloDecisionLatencyMs: loaded.sloDecisionLatencyMs }),
    ...(loaded.standbyState === undefined ? {} : { standbyState: loaded.standbyState }),
    ...(loaded.tracing === undefined ? {} : { tracing: loaded.tracing }),
    ...(loaded.batchMaxWaitMs === undefined ? {} : { batchMaxWaitMs: loaded.batchMaxWaitMs }),
    ...(loaded.priorityTopic === undefined ? {} : { priorityTopic: loaded.priorityTopic }),
  });
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      running.stop().then(done, done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // A failed worker ends the process so the orchestrator restarts it (with backoff).
    const watch = setInterval(() => {
      if (running.worker.state === 'failed') {
        clearInterval(watch);
        stop();
      }
    }, 1000);
    watch.unref();
  });
  return running.worker.state === 'failed' ? EXIT.failed : EXIT.ok;
}
