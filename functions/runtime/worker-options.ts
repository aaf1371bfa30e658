/**
 * Options of one namespace worker, compiled once into a frozen config with defaults, units and
 * validation (errors name the field, the value and the fix).
 */
import { ConfigError } from '../errors.ts';

export type ProcessingGuarantee = 'effectively-once' | 'at-least-once';

export interface WorkerOptions {
  tenant: string;
  namespace: string;
  /** Input topic name inside the namespace. @default 'events' */
  inputTopic?: string;
  /**
   * The priority lane's input topic inside the namespace (#26), e.g. 'events-priority': its
   * records have their own subscription queue and are taken before any record of `inputTopic`,
   * so a backlog of ordinary events never delays them. Producers (or the ingress) route
   * priority events there. Not with ownership by partition (partitioned inputs) yet.
   * @default undefined (no lane)
   */
  priorityTopic?: string;
  /**
   * The input subscription of all replicas of this worker: Failover per partition when they own
   * partitions (#17), else Key_Shared. @default 'beamline-worker'
   */
  subscription?: string;
  /**
   * effectively-once: each batch's input acks, state changes and outputs commit in one Pulsar
   * transaction. at-least-once: outputs then acks, with producer de-duplication; for clusters
   * without transactions. @default 'effectively-once'
   */
  guarantee?: ProcessingGuarantee;
  /** Records per batch (one transaction each). @default 100 */
  batchMaxRecords?: number;
  /**
   * Longest fill of a batch when the input is slow (nothing was buffered when the batch began);
   * input already buffered is taken at once, with no wait (#18). @default 20
   */
  batchMaxWaitMs?: number;
  /** Messages held unacknowledged at once (backpressure on the consumer). @default 1000 */
  maxInFlight?: number;
  /** In-process retries of a retriable handler error before the record is dead-lettered. @default 2 */
  handlerRetries?: number;
  /** Transaction timeout. @default 60000 */
  transactionTimeoutMs?: number;
  /** On SIGTERM, finish and commit in-flight work within this deadline, then close. @default 30000 */
  drainDeadlineMs?: number;
  /**
   * For bounded replays (an export over a finished range of input): on drain, fire every open
   * window, as at the end of input, and commit the results with the window state. The watermark is
   * then at the end of time (Flink's "stop with drain"): records arriving after a restart on the
   * same state are late, so start the next unbounded run on fresh state. Off for unbounded
   * streams, whose open windows simply resume after a restart. @default false
   */
  flushWindowsOnDrain?: boolean;
  /** Port of /healthz, /readyz and /metrics; 0 = any free port, -1 = none. @default 9464 */
  httpPort?: number;
  /** Address the HTTP endpoints bind to. @default '127.0.0.1' */
  httpHost?: string;
  /** Decision-latency SLO bound (publish to commit; p99 under it is the objective). @default 500 */
  sloDecisionLatencyMs?: number;
  /**
   * #17, replicas that own partitions: keep a standby of every state partition this replica does
   * not own (a reader tailing it into memory), so a partition that moves here restores from it
   * (only what was committed since) instead of reading the partition from its start. Costs the
   * memory of the whole namespace's state on every replica, and a reader per partition on the
   * broker; worth it where state is large and hand-overs must be short. @default false
   */
  standbyState?: boolean;
}

/** Compiled options; `priorityTopic` stays undefined when there is no lane. */
export type WorkerConfig = Readonly<Required<Omit<WorkerOptions, 'priorityTopic'>> & { priorityTopic: string | undefined }>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.=-]*$/;

export function compileWorkerOptions(o: WorkerOptions): WorkerConfig {
  const name = (field: string, v: unknown): string => {
    if (typeof v !== 'string' || !NAME.test(v)) {
      throw new ConfigError(field, v, 'use letters, digits, "-", "_", "." or "=" (a Pulsar name), e.g. "acme-payments"');
    }
    return v;
  };
  const int = (field: string, v: number | undefined, dflt: number, min: number, max: number): number => {
    const x = v ?? dflt;
    if (!Number.isInteger(x) || x < min || x > max) throw new ConfigError(field, x, `use a whole number from ${min} to ${max}`);
    return x;
  };
  const bool = (field: string, v: boolean | undefined, dflt: boolean): boolean => {
    if (v !== undefined && typeof v !== 'boolean') throw new ConfigError(field, v, 'use true or false');
    return v ?? dflt;
  };
  const guarantee = o.guarantee ?? 'effectively-once';
  if (guarantee !== 'effectively-once' && guarantee !== 'at-least-once') {
    throw new ConfigError('guarantee', guarantee, 'use "effectively-once" (default) or "at-least-once"');
  }
  const batchMaxRecords = int('batchMaxRecords', o.batchMaxRecords, 100, 1, 10_000);
  const maxInFlight = int('maxInFlight', o.maxInFlight, 1000, 1, 1_000_000);
  if (maxInFlight < batchMaxRecords) {
    throw new ConfigError('maxInFlight', maxInFlight, `make it at least batchMaxRecords (${batchMaxRecords})`);
  }
  const inputTopic = name('inputTopic', o.inputTopic ?? 'events');
  const priorityTopic = o.priorityTopic === undefined ? undefined : name('priorityTopic', o.priorityTopic);
  if (priorityTopic === inputTopic) {
    throw new ConfigError(
      'priorityTopic',
      priorityTopic,
      `name a topic other than the input topic (${inputTopic}), e.g. "${inputTopic}-priority"`,
    );
  }
  return Object.freeze({
    tenant: name('tenant', o.tenant),
    namespace: name('namespace', o.namespace),
    inputTopic,
    priorityTopic,
    subscription: name('subscription', o.subscription ?? 'beamline-worker'),
    guarantee,
    batchMaxRecords,
    batchMaxWaitMs: int('batchMaxWaitMs', o.batchMaxWaitMs, 20, 0, 60_000),
    maxInFlight,
    handlerRetries: int('handlerRetries', o.handlerRetries, 2, 0, 100),
    transactionTimeoutMs: int('transactionTimeoutMs', o.transactionTimeoutMs, 60_000, 1_000, 3_600_000),
    drainDeadlineMs: int('drainDeadlineMs', o.drainDeadlineMs, 30_000, 0, 3_600_000),
    flushWindowsOnDrain: bool('flushWindowsOnDrain', o.flushWindowsOnDrain, false),
    httpPort: int('httpPort', o.httpPort, 9464, -1, 65_535),
    httpHost: o.httpHost ?? '127.0.0.1',
    sloDecisionLatencyMs: int('sloDecisionLatencyMs', o.sloDecisionLatencyMs, 500, 1, 3_600_000),
    standbyState: bool('standbyState', o.standbyState, false),
  });
}

/** `persistent://tenant/namespace/name` for one of the namespace's topics. */
export function namespaceTopic(config: Pick<WorkerConfig, 'tenant' | 'namespace'>, name: string): string {
  return `persistent://${config.tenant}/${config.namespace}/${name}`;
}
