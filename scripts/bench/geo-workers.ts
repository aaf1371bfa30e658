/**
 * The ride-safety edge workers of the geo test and benchmark (#19): the real namespace worker
 * running tenants/examples/ride-safety.worker.yaml (the ride-safety handler, central's `ride-risk`
 * model read from the edge's replicated copy of central's registry) in an edge namespace of the
 * local geo topology, in this process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../../functions/index.ts';
import { loadWorkerFile, silentLogger, startWorker, type RunningWorker } from '../../functions/control-plane.ts';
import { main } from '../../cli/main.ts';
import { readWorkerFile } from '../../cli/worker-file.ts';
import { RIDE_RISK_FEATURES } from '../../tenants/examples/ride-safety.handler.ts';
import { RIDE_RISK_PRESETS, rideRiskOnnx } from '../../demo/ride-risk-model.ts';
import type { GeoTopology } from './geo-topology.ts';

export const RIDE_SAFETY_WORKER_FILE = 'tenants/examples/ride-safety.worker.yaml';

/** The tenant's PII key for this run (the ride-safety spec marks riderId and driverId). */
const PII_KEY = randomBytes(32);

export async function startEdgeWorker(
  topo: GeoTopology,
  tenant: string,
  region: 'edge-nyc' | 'edge-sfo',
  log: Logger = silentLogger,
): Promise<RunningWorker> {
  const file = await readWorkerFile(RIDE_SAFETY_WORKER_FILE);
  const loaded = await loadWorkerFile(file, dirname(resolve(RIDE_SAFETY_WORKER_FILE)));
  const c = topo.clusters[region].info;
  return startWorker({
    tenant,
    namespace: region,
    serviceUrl: c.serviceUrl,
    adminUrl: c.adminUrl,
    handler: loaded.handler,
    ...(loaded.registry === undefined ? {} : { registry: loaded.registry }),
    ...(loaded.guarantee === undefined ? {} : { guarantee: loaded.guarantee }),
    ...(loaded.batchMaxWaitMs === undefined ? {} : { batchMaxWaitMs: loaded.batchMaxWaitMs }),
    httpPort: -1,
    piiKey: PII_KEY,
    log,
  });
}

/** `beamline model schema` and `model push` of a ride-risk preset on central (the first push goes live). */
export async function pushRideRiskModel(topo: GeoTopology, tenant: string, preset: '1' | '2' | '3'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ride-risk-'));
  try {
    const file = join(dir, `ride-risk-${preset}.onnx`);
    writeFileSync(file, rideRiskOnnx(RIDE_RISK_PRESETS[preset]));
    const at = ['-t', tenant, '-n', 'central', '--service-url', topo.clusters.central.info.serviceUrl];
    for (const argv of [
      ['model', 'schema', ...at, '--features', RIDE_RISK_FEATURES.join(',')],
      ['model', 'push', file, ...at, '--name', 'ride-risk'],
    ]) {
      const err: string[] = [];
      const code = await main(argv, { env: {}, stdout: () => undefined, stderr: (t) => void err.push(t) });
      if (code !== 0) throw new Error(`beamline ${argv.slice(0, 2).join(' ')} failed (${code}): ${err.join(' ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
