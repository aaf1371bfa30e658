/**
 * One replica of the demo's namespace worker in its own process (`npm run demo -- --replicas N`,
 * #17). Started by demo/replicas.ts, never by hand. Everything comes from the environment, no
 * secret on the command line: PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, PULSAR_TOKEN (optional),
 * BEAMLINE_REPLICA_ID, BEAMLINE_DEMO_MODEL_DIR (model.json + weights.bin + policy.json), BEAMLINE_DEMO_PII_KEY_FILE
 * (the 32-byte key every replica shares, so tokens agree), BEAMLINE_DEMO_OTLP_ENDPOINT (optional).
 *
 * stdout: `ready {"port":N,"backend":"..."}`, then `partition {"kind","partition","owned"}` per
 * partition event. SIGTERM or SIGINT drains and exits 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWorker, type PartitionedWorker } from '../functions/control-plane.ts';
import { demoWorkerOptions } from './handler.ts';
import { partitionLine, readyLine } from './replica-protocol.ts';

function required(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set: demo replicas are started by npm run demo -- --replicas N`);
  return v;
}

const modelDir = required('BEAMLINE_DEMO_MODEL_DIR');
const token = process.env['PULSAR_TOKEN'];
const otlp = process.env['BEAMLINE_DEMO_OTLP_ENDPOINT'];
const replicaId = required('BEAMLINE_REPLICA_ID');
const ref: { worker?: PartitionedWorker } = {};
const running = await startWorker({
  ...demoWorkerOptions({
    serviceUrl: required('PULSAR_SERVICE_URL'),
    adminUrl: required('PULSAR_ADMIN_URL'),
    token,
    model: {
      modelJson: readFileSync(join(modelDir, 'model.json'), 'utf8'),
      weights: readFileSync(join(modelDir, 'weights.bin')),
      // The review band the demo chose for this model (policy.json, written beside it).
      reviewAtScore: (JSON.parse(readFileSync(join(modelDir, 'policy.json'), 'utf8')) as { reviewAtScore: number }).reviewAtScore,
    },
    piiKey: readFileSync(required('BEAMLINE_DEMO_PII_KEY_FILE')),
    otlpEndpoint: otlp,
  }),
  replicaId,
  onPartitionEvent: (e) => {
    process.stdout.write(partitionLine({ kind: e.kind, partition: e.partition, owned: ref.worker?.owned ?? [] }));
  },
});
if ('owned' in running.worker) ref.worker = running.worker;
process.stdout.write(readyLine({ port: running.http?.port ?? 0, backend: running.modelBackend }));
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  running.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
