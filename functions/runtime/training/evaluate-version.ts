/**
 * #23: `beamline model evaluate NAME@VERSION`: a registry version, loaded as the worker loads it
 * (same runtime, same micro-batcher), scores a labelled training set.
 */
import { noopMetrics, silentLogger } from '../../telemetry.ts';
import { compileDecisionPolicy, type DecisionPolicyOptions } from '../decision-policy.ts';
import { createModelScorer } from '../model-scorer.ts';
import type { RegistryView } from '../model-registry/index.ts';
import { evaluateModel, type EvaluationReport } from './evaluation.ts';
import type { TrainingRow } from './training-set.ts';

export async function evaluateRegistryVersion(o: {
  view: Pick<RegistryView, 'artifact'>;
  name: string;
  version: string;
  rows: readonly Pick<TrainingRow, 'row' | 'label'>[];
  policy?: DecisionPolicyOptions;
}): Promise<EvaluationReport> {
  const policy = compileDecisionPolicy(o.policy, 'policy');
  const modelVersion = `${o.name}@${o.version}`;
  const scorer = await createModelScorer({
    artifact: o.view.artifact(o.name, o.version),
    version: modelVersion,
    log: silentLogger,
    metrics: noopMetrics(),
  });
  try {
    return await evaluateModel(modelVersion, policy, o.rows, scorer.score);
  } finally {
    await scorer.close();
  }
}
