/**
 * What `startWorker({ registry: { name } })` runs: a view of the namespace's `models` topic and
 * a `ModelRouter` over it, scoring with `createModelScorer` for each version.
 */
import type { PulsarClient } from '../../pulsar/index.ts';
import type { Logger, Metrics } from '../../telemetry.ts';
import type { Decision } from '../decision-policy.ts';
import { createModelScorer } from '../model-scorer.ts';
import type { ScoreFn } from '../../contract.ts';
import { namespaceTopicName } from './model-registry.ts';
import { ModelRouter } from './model-router.ts';
import { RegistryView } from './registry-view.ts';

export interface RegistryRoutingOptions {
  client: PulsarClient;
  tenant: string;
  namespace: string;
  /** The model's name in the registry, e.g. 'fraud'. */
  name: string;
  /** Decision when no version is live or the model is unhealthy. @default 'review' */
  fallback?: Decision;
  log: Logger;
  metrics: Metrics;
}

export interface RegistryRouting {
  readonly score: ScoreFn;
  readonly router: ModelRouter;
  readonly view: RegistryView;
  close(): Promise<void>;
}

export async function startRegistryRouting(o: RegistryRoutingOptions): Promise<RegistryRouting> {
  const view = await RegistryView.create(o.client, namespaceTopicName(o.tenant, o.namespace, 'models'));
  try {
    const router = await ModelRouter.create({
      view,
      name: o.name,
      log: o.log,
      metrics: o.metrics,
      ...(o.fallback === undefined ? {} : { fallback: o.fallback }),
      loadScorer: (artifact, version) =>
        createModelScorer({
          artifact,
          version,
          log: o.log,
          metrics: o.metrics,
          ...(o.fallback === undefined ? {} : { fallback: o.fallback }),
        }),
    });
    let closing: Promise<void> | undefined;
    return {
      score: router.score,
      router,
      view,
      close() {
        closing ??= (async () => {
          await router.close();
          await view.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await view.close().catch(() => undefined);
    throw err;
  }
}
