/**
 * The tracer's side of the export thread (#22; the thread is export-thread.ts).
 *
 * Finished span records are written as they end into a buffer (span-wire.ts: about 1.2 µs a span,
 * against about 3 µs for a JSON string and its copy, and about 6 µs for the SDK's OTLP encoding
 * that the thread does instead) and the buffer is transferred to the thread in chunks, not
 * copied. The thread starts with the first span, never in a constructor, and does not keep the
 * process alive. Its answers arrive on turns of the event loop: a loop that never yields (no
 * I/O) fills the bound and drops spans, counted. If it fails, spans are dropped and counted (`export-failed`) and flushes resolve: traces are
 * diagnostics and never fail a worker.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../telemetry.ts';
import type { AttributeSets } from './attribute-sets.ts';
import type { ExportAccounting } from './export-accounting.ts';
import type { SpanExport } from './span-export.ts';
import type { SpanRecord } from './span-record.ts';
import { SpanWriter, type WireChunk } from './span-wire.ts';
import type { OtlpProtocol, TracingConfig } from './tracing-options.ts';

/** What the thread is started with (structured-cloneable). */
export interface ExportThreadConfig {
  readonly tracesUrl: string;
  readonly protocol: OtlpProtocol;
  readonly exportTimeoutMs: number;
  readonly exportIntervalMs: number;
  readonly maxExportBatch: number;
  readonly maxQueue: number;
  readonly serviceName: string;
  readonly resource: Readonly<Record<string, string>>;
  readonly scopeName: string;
  readonly scopeVersion: string;
}

export type ToExportThread =
  /**
   * `chunk`: SpanRecords as span-wire.ts writes them (its buffer transferred); `sets`: a JSON
   * array of the shared attribute sets ([number, attributes]) numbered since the last post, which
   * these records may refer to ('' for none).
   */
  | { readonly type: 'spans'; readonly chunk: WireChunk; readonly sets: string }
  | { readonly type: 'flush' | 'shutdown'; readonly id: number };

export type FromExportThread =
  | { readonly type: 'settled'; readonly spans: number; readonly ok: boolean; readonly error?: string }
  | { readonly type: 'done'; readonly id: number };

/**
 * Spans posted at once, at most; fewer wait at most CHUNK_WAIT_MS. A post costs the event loop
 * about 0.1-0.4 ms whatever it carries (measured here with a transferred buffer and with a 69 KB
 * string alike), so chunks are large: at 256 spans, posting was about 2% of the in-memory worker's
 * time at 10% sampling. A quarter of the queue bound at most, so a chunk never fills the queue
 * (ExportAccounting counts posted spans until the thread settles them).
 */
const MAX_CHUNK = 1024;
const CHUNK_WAIT_MS = 100;

type ThreadState = 'idle' | 'running' | 'broken' | 'closed';

export class ThreadExport implements SpanExport {
  readonly #config: ExportThreadConfig;
  readonly #accounting: ExportAccounting;
  readonly #sets: AttributeSets;
  readonly #log: Logger;
  #state: ThreadState = 'idle';
  #worker: Worker | undefined;
  /** Spans ended and not posted yet, written as they end. */
  readonly #pending = new SpanWriter(256 * 1024);
  readonly #chunk: number;
  /** Spans posted and not yet settled by the thread (dropped as export-failed if it dies). */
  #posted = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #waiting = new Map<number, () => void>();
  #nextId = 1;

  constructor(
    config: TracingConfig,
    scope: { name: string; version: string },
    accounting: ExportAccounting,
    sets: AttributeSets,
    log: Logger,
  ) {
    this.#config = {
      tracesUrl: config.tracesUrl,
      protocol: config.protocol,
      exportTimeoutMs: config.exportTimeoutMs,
      exportIntervalMs: config.exportIntervalMs,
      maxExportBatch: config.maxExportBatch,
      maxQueue: config.maxQueue,
      serviceName: config.serviceName,
      resource: { ...config.resource },
      scopeName: scope.name,
      scopeVersion: scope.version,
    };
    this.#chunk = Math.max(1, Math.min(MAX_CHUNK, Math.floor(config.maxQueue / 4)));
    this.#accounting = accounting;
    this.#sets = sets;
    this.#log = log;
  }

  add(record: SpanRecord): void {
    if (this.#state === 'broken' || this.#state === 'closed') {
      this.#accounting.settled(1, false, 'the trace export thread stopped');
      return;
    }
    this.#pending.write(record);
    if (this.#pending.count >= this.#chunk) this.#post();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#post();
      }, CHUNK_WAIT_MS);
      this.#timer.unref();
    }
  }

  flush(): Promise<void> {
    this.#post();
    return this.#ask('flush');
  }

  async shutdown(): Promise<void> {
    this.#post();
    const done = this.#ask('shutdown');
    // From here on a span ending is dropped (counted), not posted to a thread that is stopping.
    if (this.#state !== 'broken') this.#state = 'closed';
    await done;
    await this.#worker?.terminate();
  }

  #post(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const chunk = this.#pending.take();
    if (chunk === undefined) return;
    const count = chunk.count;
    const worker = this.#thread();
    if (worker === undefined) {
      this.#accounting.settled(count, false, 'the trace export thread stopped');
      return;
    }
    this.#posted += count;
    const sets = this.#sets.takeNew();
    worker.postMessage({ type: 'spans', chunk, sets: sets.length === 0 ? '' : JSON.stringify(sets) } satisfies ToExportThread, [
      chunk.bytes.buffer,
    ]);
  }

  #ask(type: 'flush' | 'shutdown'): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined || this.#state !== 'running') return Promise.resolve();
    const id = this.#nextId++;
    // Held alive until the thread answers (a flush at exit must not be cut short).
    worker.ref();
    return new Promise<void>((resolve) => {
      this.#waiting.set(id, resolve);
      worker.postMessage({ type, id } satisfies ToExportThread);
    });
  }

  #thread(): Worker | undefined {
    if (this.#state === 'running') return this.#worker;
    if (this.#state !== 'idle') return undefined;
    const worker = new Worker(new URL('./export-thread.ts', import.meta.url), { workerData: this.#config });
    worker.on('message', (m: FromExportThread) => this.#onMessage(m));
    worker.on('error', (err) => this.#stopped(err));
    worker.on('exit', (code) => this.#stopped(code === 0 ? undefined : new Error(`the trace export thread exited with code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    this.#worker = worker;
    this.#state = 'running';
    return worker;
  }

  #onMessage(m: FromExportThread): void {
    if (m.type === 'settled') {
      this.#posted = Math.max(0, this.#posted - m.spans);
      this.#accounting.settled(m.spans, m.ok, m.error);
      return;
    }
    this.#waiting.get(m.id)?.();
    this.#waiting.delete(m.id);
    if (this.#waiting.size === 0) this.#worker?.unref();
  }

  /** The thread ended (error, exit or after shutdown): what it held is lost; nobody waits on it. */
  #stopped(err: unknown): void {
    if (this.#state === 'broken' || (this.#state === 'closed' && err === undefined)) return;
    if (this.#state !== 'closed') {
      this.#state = 'broken';
      this.#log.warn({ err }, 'trace export thread stopped; spans dropped from now on');
    }
    if (this.#posted > 0) this.#accounting.settled(this.#posted, false, 'the trace export thread stopped');
    this.#posted = 0;
    for (const resolve of this.#waiting.values()) resolve();
    this.#waiting.clear();
  }
}
