/**
 * The tracer's side of the export thread (#22; the thread is export-thread.ts).
 *
 * Finished span records are posted to the thread in chunks, as one JSON string each (about 1-2 µs
 * a span once shared attribute sets go by number, against about 6 µs for the SDK's OTLP JSON
 * encoding that the thread does instead; a structured clone of the records cost more than the
 * string, and a hand-written delimited encoding measured no faster than JSON.stringify in the
 * worker). The thread starts with the first span, never in a constructor, and does not keep the
 * process alive. Its answers arrive on turns of the event loop: a loop that never yields (no I/O) fills the bound and drops spans, counted.
 * If it fails, spans are dropped and counted (`export-failed`) and flushes resolve: traces are
 * diagnostics and never fail a worker.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../telemetry.ts';
import type { AttributeSets } from './attribute-sets.ts';
import type { ExportAccounting } from './export-accounting.ts';
import type { SpanExport } from './span-export.ts';
import type { SpanRecord } from './span-record.ts';
import type { TracingConfig } from './tracing-options.ts';

/** What the thread is started with (structured-cloneable). */
export interface ExportThreadConfig {
  readonly tracesUrl: string;
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
   * `spans`: a JSON array of SpanRecord (a string crosses threads as one copy, no object graph to
   * clone); `sets`: a JSON array of the shared attribute sets ([number, attributes]) numbered
   * since the last post, which these records may refer to ('' for none).
   */
  | { readonly type: 'spans'; readonly spans: string; readonly sets: string; readonly count: number }
  | { readonly type: 'flush' | 'shutdown'; readonly id: number };

export type FromExportThread =
  | { readonly type: 'settled'; readonly spans: number; readonly ok: boolean; readonly error?: string }
  | { readonly type: 'done'; readonly id: number };

/** Spans posted at once; fewer wait at most CHUNK_WAIT_MS. */
const CHUNK = 256;
const CHUNK_WAIT_MS = 100;

type ThreadState = 'idle' | 'running' | 'broken' | 'closed';

export class ThreadExport implements SpanExport {
  readonly #config: ExportThreadConfig;
  readonly #accounting: ExportAccounting;
  readonly #sets: AttributeSets;
  readonly #log: Logger;
  #state: ThreadState = 'idle';
  #worker: Worker | undefined;
  #pending: SpanRecord[] = [];
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
      exportTimeoutMs: config.exportTimeoutMs,
      exportIntervalMs: config.exportIntervalMs,
      maxExportBatch: config.maxExportBatch,
      maxQueue: config.maxQueue,
      serviceName: config.serviceName,
      resource: { ...config.resource },
      scopeName: scope.name,
      scopeVersion: scope.version,
    };
    this.#accounting = accounting;
    this.#sets = sets;
    this.#log = log;
  }

  add(record: SpanRecord): void {
    if (this.#state === 'broken' || this.#state === 'closed') {
      this.#accounting.settled(1, false, 'the trace export thread stopped');
      return;
    }
    this.#pending.push(record);
    if (this.#pending.length >= CHUNK) this.#post();
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
    if (this.#pending.length === 0) return;
    const records = this.#pending;
    const count = records.length;
    this.#pending = [];
    const worker = this.#thread();
    if (worker === undefined) {
      this.#accounting.settled(count, false, 'the trace export thread stopped');
      return;
    }
    this.#posted += count;
    const sets = this.#sets.takeNew();
    worker.postMessage({
      type: 'spans',
      spans: JSON.stringify(records),
      sets: sets.length === 0 ? '' : JSON.stringify(sets),
      count,
    } satisfies ToExportThread);
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
