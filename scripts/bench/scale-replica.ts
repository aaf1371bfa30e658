/**
 * One worker replica for `npm run bench -- scale` (#17), in its own process: effectively-once,
 * per key a running count and sum in keyed state; each output carries them, the input partition
 * and the replica. Prints `ready`, then `partition {json}` per partition event.
 * argv: serviceUrl adminUrl tenant namespace replicaId [token from $PULSAR_TOKEN]
 */
import type { ProcessFn } from '../../functions/index.ts';
import { startWorker, type PartitionedWorker } from '../../functions/control-plane.ts';
import { createRootLogger, silentLogger } from '../../functions/telemetry.ts';
import { partitionLine, readyLine } from '../../demo/replica-protocol.ts';

const [serviceUrl, adminUrl, tenant, namespace, replicaId] = process.argv.slice(2) as [string, string, string, string, string];
const token = process.env['PULSAR_TOKEN'];

const counts: ProcessFn<unknown> = (record, ctx) => {
  const e = JSON.parse((record.value as Buffer).toString()) as { id: number; amount: number };
  const key = record.key ?? '';
  const before = (ctx.state.get(key) as { count: number; sum: number } | undefined) ?? { count: 0, sum: 0 };
  const now = { count: before.count + 1, sum: before.sum + e.amount };
  ctx.state.put(key, now);
  const partition = Number(/-partition-(\d+)$/.exec(record.topic)?.[1] ?? -1);
  ctx.emit({ id: e.id, key, count: now.count, sum: now.sum, partition, replica: replicaId });
};

const ref: { worker?: PartitionedWorker } = {};
const running = await startWorker({
  serviceUrl,
  adminUrl,
  ...(token === undefined ? {} : { token }),
  tenant,
  namespace,
  replicaId,
  handler: { process: counts },
  guarantee: 'effectively-once',
  batchMaxRecords: 100,
  batchMaxWaitMs: 5,
  httpPort: -1,
  drainDeadlineMs: 20_000,
  // eslint-disable-next-line no-restricted-syntax -- an environment variable's name, not an error code
  transactionTimeoutMs: Number(process.env['BL_SCALE_TXN_TIMEOUT_MS'] ?? 10_000),
  // eslint-disable-next-line no-restricted-syntax -- an environment variable's name, not an error code
  standbyState: process.env['BL_SCALE_STANDBY'] === '1',
  // Logs only when the bench keeps them (BL_SCALE_LOG_DIR, see suites/scale.ts): stdout is the line protocol.
  // eslint-disable-next-line no-restricted-syntax -- an environment variable's name, not an error code
  log: process.env['BL_SCALE_LOG_DIR'] === undefined ? silentLogger : createRootLogger(),
  onPartitionEvent: (e) => process.stdout.write(partitionLine({ ...e, replica: replicaId, owned: ref.worker?.owned ?? [] })),
});
ref.worker = running.worker as PartitionedWorker;
process.stdout.write(readyLine());
process.on('SIGTERM', () => {
  running.stop().then(() => process.exit(0));
});
