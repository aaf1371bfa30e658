/**
 * `ctx.score` over a model's rollout: the live version decides, except for the keys a canary
 * takes (`canaryBucket(key) < percent`); a shadow version scores every row too, and its score
 * rides along on the result (recorded, never acted on).
 *
 * Hot swap: when `rollout/<name>` changes, the versions it needs are loaded and warmed first,
 * then one reference is switched. Each call reads that reference once, so every record is scored
 * by exactly one rollout; models no longer routed are closed when their in-flight calls finish.
 */
import type { ModelScore, ScoreFn, ScoreOptions } from '../../contract.ts';
import { silentLogger, type Logger, type Metrics } from '../../telemetry.ts';
import type { Decision } from '../decision-policy.ts';
import type { ModelScorer } from '../model-scorer.ts';
import type { RegistryArtifact } from './artifact-codec.ts';
import { ModelVersionMetrics } from './model-version-metrics.ts';
import { modelVersionId } from './manifest.ts';
import type { RegistryView } from './registry-view.ts';
import { routeOf, type RolloutState } from './rollout.ts';

export type LoadScorer = (artifact: RegistryArtifact, versionId: string) => Promise<ModelScorer>;

/** What the router reads from the registry (a `RegistryView`, or a fake in unit tests). */
export type RouterView = Pick<RegistryView, 'rollout' | 'hasArtifact' | 'artifact' | 'featureSchema' | 'waitUntil' | 'onRollout'> &
  Partial<Pick<RegistryView, 'manifest'>>;

export interface ModelRouterOptions {
  view: RouterView;
  name: string;
  loadScorer: LoadScorer;
  /** Decision when no version is live. @default 'review' */
  fallback?: Decision;
  /** How long a swap waits for a version's bytes to reach the view. @default 30000 */
  artifactWaitMs?: number;
  log?: Logger;
  metrics?: Metrics;
}

interface Entry {
  readonly version: string;
  readonly id: string;
  readonly scorer: ModelScorer;
  inflight: number;
  retired: boolean;
  closed: Promise<void> | undefined;
}

interface Slots {
  readonly rollout: RolloutState;
  readonly live: Entry | undefined;
  readonly canary: { readonly entry: Entry; readonly percent: number } | undefined;
  readonly shadow: Entry | undefined;
}

export type ModelRouterState = 'running' | 'closed';

export class ModelRouter {
  readonly score: ScoreFn;
  readonly #o: ModelRouterOptions;
  readonly #log: Logger;
  readonly #loaded = new Map<string, Promise<Entry>>();
  #slots: Slots;
  #applying: Promise<void> = Promise.resolve();
  #unsubscribe: () => void = () => undefined;
  #state: ModelRouterState = 'running';
  #swaps = 0;
  readonly #swapCounter: ((n: number) => void) | undefined;
  readonly #versionMetrics: ModelVersionMetrics | undefined;

  private constructor(o: ModelRouterOptions, initial: RolloutState) {
    this.#o = o;
    this.#log = (o.log ?? silentLogger).child({ component: 'model-router', model: o.name });
    this.#slots = { rollout: initial, live: undefined, canary: undefined, shadow: undefined };
    const counter = o.metrics?.counter('beamline_model_swaps_total', 'Rollout changes applied by the model router', ['model']);
    this.#swapCounter = counter === undefined ? undefined : (n) => counter.inc({ model: o.name }, n);
    this.#versionMetrics =
      o.metrics === undefined ? undefined : new ModelVersionMetrics(o.metrics, o.name, (v) => o.view.manifest?.(o.name, v)?.metrics);
    this.score = (features, options) => this.#score(features, options);
  }

  /** Loads and warms the current rollout's versions, then follows changes. */
  static async create(o: ModelRouterOptions): Promise<ModelRouter> {
    const r = new ModelRouter(o, o.view.rollout(o.name));
    await r.#apply(o.view.rollout(o.name));
    r.#unsubscribe = o.view.onRollout(o.name, (next) => r.#enqueue(next));
    return r;
  }

  get state(): ModelRouterState {
    return this.#state;
  }

  /** The rollout revision being served, and the version in each slot. */
  get serving(): { revision: number; live: string | null; canary: { version: string; percent: number } | null; shadow: string | null } {
    const s = this.#slots;
    return {
      revision: s.rollout.revision,
      live: s.live?.version ?? null,
      canary: s.canary === undefined ? null : { version: s.canary.entry.version, percent: s.canary.percent },
      shadow: s.shadow?.version ?? null,
    };
  }

  get swaps(): number {
    return this.#swaps;
  }

  /** Waits for swaps already queued. */
  settled(): Promise<void> {
    return this.#applying;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#unsubscribe();
    await this.#applying;
    const entries = await Promise.allSettled(this.#loaded.values());
    await Promise.allSettled(entries.map((e) => (e.status === 'fulfilled' ? this.#retire(e.value) : undefined)));
    this.#loaded.clear();
  }

  #enqueue(next: RolloutState): void {
    this.#applying = this.#applying
      .then(() => this.#apply(next))
      .catch((err: unknown) => {
        // Keep serving the previous rollout: a version that fails to load never takes traffic.
        this.#log.error({ err, revision: next.revision }, 'rollout not applied; still serving the previous one');
      });
  }

  async #apply(r: RolloutState): Promise<void> {
    if (this.#state === 'closed') return;
    const live = r.live === null ? undefined : await this.#entry(r.live);
    const canary =
      r.canary === null || r.canary.percent === 0 ? undefined : { entry: await this.#entry(r.canary.version), percent: r.canary.percent };
    const shadow = r.shadow === null ? undefined : await this.#entry(r.shadow);
    // Closed while loading: the loaded entries are closed by close().
    if ((this.#state as ModelRouterState) === 'closed') return;
    const before = this.#slots;
    this.#slots = { rollout: r, live, canary, shadow };
    this.#swaps++;
    this.#swapCounter?.(1);
    this.#versionMetrics?.routed(r);
    this.#log.info({ revision: r.revision, live: r.live, canary: r.canary, shadow: r.shadow }, 'rollout applied');
    const inUse = new Set([live, canary?.entry, shadow].filter((e) => e !== undefined));
    for (const e of [before.live, before.canary?.entry, before.shadow]) {
      if (e !== undefined && !inUse.has(e)) {
        this.#loaded.delete(e.version);
        void this.#retire(e);
      }
    }
  }

  #entry(version: string): Promise<Entry> {
    let p = this.#loaded.get(version);
    if (p === undefined) {
      p = this.#load(version);
      p.catch(() => this.#loaded.delete(version));
      this.#loaded.set(version, p);
    }
    return p;
  }

  async #load(version: string): Promise<Entry> {
    const { view, name } = this.#o;
    // The rollout may arrive before the bytes when the models topic has several partitions.
    await view.waitUntil(() => view.hasArtifact(name, version), this.#o.artifactWaitMs ?? 30_000);
    const id = modelVersionId(name, version);
    const scorer = await this.#o.loadScorer(view.artifact(name, version), id);
    // Warm before any record can reach it: the first real call then pays no load or compile cost.
    const width = view.featureSchema()?.features.length;
    if (width !== undefined) await scorer.score(new Float32Array(width));
    this.#log.info({ version: id, backend: scorer.backend }, 'model version loaded and warmed');
    return { version, id, scorer, inflight: 0, retired: false, closed: undefined };
  }

  #retire(e: Entry): Promise<void> {
    e.retired = true;
    if (e.inflight === 0) e.closed ??= e.scorer.close();
    return e.closed ?? Promise.resolve();
  }

  async #score(features: ArrayLike<number>, options: ScoreOptions | undefined): Promise<ModelScore> {
    // Read once: the whole call uses one rollout, whatever swaps happen meanwhile.
    const s = this.#slots;
    if (s.live === undefined) return { kind: 'fallback', decision: this.#o.fallback ?? 'review', reason: 'no-model' };
    const route =
      s.canary === undefined ? 'live' : routeOf({ canary: { version: s.canary.entry.version, percent: s.canary.percent } }, options?.key);
    const decider = route === 'canary' && s.canary !== undefined ? s.canary.entry : s.live;
    const shadowP = s.shadow === undefined ? undefined : this.#timed(s.shadow, features, 'normal');
    const main = await this.#timed(decider, features, options?.priority ?? 'normal');
    const shadow = await shadowP?.catch(() => undefined);
    if (main.score.kind !== 'scored') return main.score;
    this.#versionMetrics?.scored(decider.version, main.score.score);
    if (shadow?.score.kind === 'scored' && s.shadow !== undefined) this.#versionMetrics?.scored(s.shadow.version, shadow.score.score);
    const sh =
      shadow !== undefined && shadow.score.kind === 'scored'
        ? { modelVersion: shadow.score.modelVersion, score: shadow.score.score, latencyMs: shadow.latencyMs }
        : undefined;
    return { ...main.score, route, latencyMs: main.latencyMs, ...(sh === undefined ? {} : { shadow: sh }) };
  }

  async #timed(e: Entry, features: ArrayLike<number>, priority: 'high' | 'normal'): Promise<{ score: ModelScore; latencyMs: number }> {
    e.inflight++;
    const t0 = performance.now();
    try {
      const score = await e.scorer.score(features, { priority });
      return { score, latencyMs: performance.now() - t0 };
    } finally {
      e.inflight--;
      if (e.retired && e.inflight === 0) e.closed ??= e.scorer.close();
    }
  }
}
