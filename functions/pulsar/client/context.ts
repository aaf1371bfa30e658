/** What every producer and consumer of one client shares. */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../telemetry.ts';
import type { ClientMetrics } from './client-metrics.ts';
import type { ConnectionPool } from './connection/connection-pool.ts';
import type { DeadlineTicker } from './connection/deadline-ticker.ts';
import type { LookupService } from './connection/lookup.ts';

export interface ClientContext {
  readonly pool: ConnectionPool;
  readonly lookup: LookupService;
  readonly ticker: DeadlineTicker;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ClientMetrics;
  readonly operationTimeoutMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** See ClientOptions.reconnectSpreadMs. */
  readonly reconnectSpreadMs: number;
  /** Producer and consumer ids are unique per client, so they stay valid on any connection. */
  nextId(): number;
}
