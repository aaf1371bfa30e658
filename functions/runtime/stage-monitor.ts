/**
 * #26: which stage of the worker's loop bounds its throughput right now. The loop spends its time
 * in three stages, one after another: `receive` (waiting for input from the broker), `decide`
 * (decode, handler, scoring: the micro-batcher and the model) and `commit` (the transaction's
 * sends, acks and END_TXN). Over each window the share of time in each stage is exported; the
 * stage with the largest share is the bottleneck, except that a worker mostly waiting in
 * `receive` has none (it keeps up with its input: `input`).
 *
 * Because the loop takes a new batch only after the last one committed, a slow `decide` or
 * `commit` stops the worker taking input (in-flight inputs are bounded by the batch size and the
 * consumer's receiver queue): the lag grows on the broker, and this monitor names the stage.
 *
 * Metrics: beamline_worker_stage_busy_ratio{stage}, beamline_worker_bottleneck_info{stage} (1 for
 * the current one). Log: `worker bottleneck changed` (warn when it is decide or commit).
 */
import type { Clock } from '../clock.ts';
import type { GaugeMetric, Labels, Logger, Metrics } from '../telemetry.ts';

export type WorkerStage = 'receive' | 'decide' | 'commit';
export type Bottleneck = 'input' | 'decide' | 'commit';

const STAGES: readonly WorkerStage[] = ['receive', 'decide', 'commit'];
const BOTTLENECKS: readonly Bottleneck[] = ['input', 'decide', 'commit'];

/** The bottleneck for a window's time per stage (ms); `input` when receiving dominates or nothing ran. */
export function bottleneckOf(ms: Readonly<Record<WorkerStage, number>>): Bottleneck {
  const total = ms.receive + ms.decide + ms.commit;
  if (total <= 0 || ms.receive * 2 >= total) return 'input';
  return ms.decide >= ms.commit ? 'decide' : 'commit';
}

export class StageMonitor {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #labels: Labels;
  readonly #windowMs: number;
  readonly #busy: GaugeMetric;
  readonly #info: GaugeMetric;
  #ms: Record<WorkerStage, number> = { receive: 0, decide: 0, commit: 0 };
  #windowStart: number;
  #current: Bottleneck = 'input';

  constructor(metrics: Metrics, labels: Labels, deps: { clock: Clock; log: Logger; windowMs?: number }) {
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#labels = labels;
    this.#windowMs = deps.windowMs ?? 10_000;
    const names = [...Object.keys(labels), 'stage'];
    this.#busy = metrics.gauge('beamline_worker_stage_busy_ratio', 'Share of the last window the worker loop spent in each stage', names);
    this.#info = metrics.gauge('beamline_worker_bottleneck_info', 'The stage bounding the worker now (1); input = it keeps up', names);
    for (const b of BOTTLENECKS) this.#info.set({ ...labels, stage: b }, b === 'input' ? 1 : 0);
    this.#windowStart = this.#clock.monotonic();
  }

  get bottleneck(): Bottleneck {
    return this.#current;
  }

  /** Adds time spent in a stage; closes the window when it is over. */
  add(stage: WorkerStage, ms: number): void {
    this.#ms[stage] += Math.max(0, ms);
    const now = this.#clock.monotonic();
    if (now - this.#windowStart >= this.#windowMs) this.#close(now);
  }

  #close(now: number): void {
    const ms = this.#ms;
    const total = ms.receive + ms.decide + ms.commit;
    for (const s of STAGES) this.#busy.set({ ...this.#labels, stage: s }, total > 0 ? ms[s] / total : 0);
    const next = bottleneckOf(ms);
    if (next !== this.#current) {
      const shares = Object.fromEntries(STAGES.map((s) => [s, total > 0 ? Math.round((ms[s] / total) * 100) / 100 : 0]));
      const fields = { stage: next, previous: this.#current, shares, windowMs: now - this.#windowStart };
      if (next === 'input') this.#log.info(fields, 'worker bottleneck changed');
      else this.#log.warn(fields, 'worker bottleneck changed');
      this.#info.set({ ...this.#labels, stage: this.#current }, 0);
      this.#info.set({ ...this.#labels, stage: next }, 1);
      this.#current = next;
    }
    this.#ms = { receive: 0, decide: 0, commit: 0 };
    this.#windowStart = now;
  }
}
