import { describe, expect, it } from 'vitest';
import type { ModelScore } from '../../../../functions/contract.ts';
import type { RegistryArtifact } from '../../../../functions/runtime/model-registry/index.ts';
import type { ModelScorer } from '../../../../functions/runtime/model-scorer.ts';
import {
  ModelRouter,
  applyRolloutChange,
  canaryBucket,
  emptyRollout,
  type RolloutChange,
  type RolloutState,
  type RouterView,
} from '../../../../functions/runtime/model-registry/index.ts';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A fake registry view: rollouts changed by the test, every version's bytes present. */
class FakeView implements RouterView {
  rolloutState: RolloutState = emptyRollout('fraud');
  readonly listeners = new Set<(r: RolloutState) => void>();
  change(c: RolloutChange): void {
    this.rolloutState = applyRolloutChange(this.rolloutState, c, { atMs: 0, by: 't' });
    for (const l of this.listeners) l(this.rolloutState);
  }
  rollout(): RolloutState {
    return this.rolloutState;
  }
  hasArtifact(): boolean {
    return true;
  }
  artifact(_name: string, version: string): RegistryArtifact {
    return { format: 'onnx', bytes: Buffer.from(version) };
  }
  featureSchema(): ReturnType<RouterView['featureSchema']> {
    return { features: ['a', 'b'], outputs: 1 };
  }
  async waitUntil(): Promise<void> {}
  onRollout(_name: string, l: (r: RolloutState) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** Scorers whose score is the version number; `gate` holds calls until the test opens it. */
class FakeScorers {
  readonly loads: string[] = [];
  readonly closed: string[] = [];
  readonly loadGates = new Map<string, Deferred<void>>();
  gate: Deferred<void> | undefined;
  failLoad = new Set<string>();
  load = async (artifact: RegistryArtifact, id: string): Promise<ModelScorer> => {
    this.loads.push(id);
    await this.loadGates.get(id)?.promise;
    if (this.failLoad.has(id)) throw new Error(`cannot load ${id}`);
    const n = Number(Buffer.from((artifact as { bytes: Uint8Array }).bytes).toString());
    return {
      version: id,
      backend: 'fake',
      score: async (): Promise<ModelScore> => {
        await this.gate?.promise;
        return { kind: 'scored', score: n / 10, outputs: Float32Array.of(n / 10), modelVersion: id };
      },
      close: async () => {
        this.closed.push(id);
      },
    };
  };
}

async function setup(): Promise<{ view: FakeView; scorers: FakeScorers; router: ModelRouter }> {
  const view = new FakeView();
  view.change({ type: 'promoted', version: '1' });
  const scorers = new FakeScorers();
  const router = await ModelRouter.create({ view, name: 'fraud', loadScorer: scorers.load });
  return { view, scorers, router };
}

const keyIn = (inCanary: boolean, percent: number): string => {
  for (let i = 0; ; i++) if (canaryBucket(`k${i}`) < percent === inCanary) return `k${i}`;
};

describe('ModelRouter', () => {
  it('falls back when nothing is live', async () => {
    const router = await ModelRouter.create({ view: new FakeView(), name: 'fraud', loadScorer: new FakeScorers().load });
    expect(await router.score([1, 2])).toEqual({ kind: 'fallback', decision: 'review', reason: 'no-model' });
  });

  it('scores with live, sends canary keys to the canary, and adds the shadow score', async () => {
    const { view, router } = await setup();
    expect(await router.score([1, 2], { key: 'x' })).toMatchObject({ kind: 'scored', modelVersion: 'fraud@1', route: 'live' });
    view.change({ type: 'shadow-set', version: '3' });
    view.change({ type: 'canary-set', version: '2', percent: 30 });
    await router.settled();
    expect(router.serving).toEqual({ revision: 3, live: '1', canary: { version: '2', percent: 30 }, shadow: '3' });
    const canaryKey = keyIn(true, 30);
    const liveKey = keyIn(false, 30);
    expect(await router.score([1, 2], { key: canaryKey })).toMatchObject({
      modelVersion: 'fraud@2',
      route: 'canary',
      shadow: { modelVersion: 'fraud@3', score: 0.3 },
    });
    expect(await router.score([1, 2], { key: liveKey })).toMatchObject({
      modelVersion: 'fraud@1',
      route: 'live',
      shadow: { modelVersion: 'fraud@3' },
    });
  });

  it('keeps serving the old rollout until the new version is loaded and warmed', async () => {
    const { view, scorers, router } = await setup();
    const gate = deferred<void>();
    scorers.loadGates.set('fraud@2', gate);
    view.change({ type: 'promoted', version: '2' });
    expect(await router.score([0, 0])).toMatchObject({ modelVersion: 'fraud@1' });
    gate.resolve();
    await router.settled();
    expect(await router.score([0, 0])).toMatchObject({ modelVersion: 'fraud@2' });
    expect(router.swaps).toBe(2);
  });

  it('lets in-flight calls on a replaced version finish before closing it', async () => {
    const { view, scorers, router } = await setup();
    scorers.gate = deferred<void>();
    const inflight = router.score([0, 0]);
    const held = scorers.gate;
    scorers.gate = undefined;
    view.change({ type: 'promoted', version: '2' });
    // Warming v2 goes through (gate cleared); v1's call is still held.
    await router.settled();
    expect(scorers.closed).toEqual([]);
    held.resolve();
    expect(await inflight).toMatchObject({ modelVersion: 'fraud@1' });
    await router.close();
    expect(scorers.closed.sort()).toEqual(['fraud@1', 'fraud@2']);
  });

  it('stays on the previous rollout when a version fails to load', async () => {
    const { view, scorers, router } = await setup();
    scorers.failLoad.add('fraud@2');
    view.change({ type: 'canary-set', version: '2', percent: 100 });
    await router.settled();
    expect(router.serving.canary).toBeNull();
    expect(await router.score([0, 0], { key: 'any' })).toMatchObject({ modelVersion: 'fraud@1', route: 'live' });
  });

  it('reuses loaded versions across swaps and closes everything once', async () => {
    const { view, scorers, router } = await setup();
    view.change({ type: 'shadow-set', version: '2' });
    view.change({ type: 'canary-set', version: '3', percent: 10 });
    view.change({ type: 'rolled-back' });
    await router.settled();
    expect(scorers.loads).toEqual(['fraud@1', 'fraud@2', 'fraud@3']);
    await router.close();
    await router.close();
    expect(scorers.closed.sort()).toEqual(['fraud@1', 'fraud@2', 'fraud@3']);
  });
});
