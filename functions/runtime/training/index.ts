/** #23: training sets from the stream, labels, and evaluation before promotion. */
export { TRAINING_ERROR_CODES } from './errors.ts';
export { LABEL_SCHEMA, labelsTopic, openLabelWriter, readLabels, validateLabel, type Label, type LabelWriter } from './labels.ts';
export {
  FeatureReplay,
  checkWindow,
  exportTrainingSet,
  type TrainingRow,
  type TrainingSet,
  type TrainingSetOptions,
} from './training-set.ts';
export { formatTrainingSet, tableFormatOf, type TableFormat } from './table-format.ts';
export {
  checkEvaluationGate,
  evaluateModel,
  summarizeEvaluation,
  type EvaluationGate,
  type EvaluationReport,
  type ScoredRow,
} from './evaluation.ts';
export { evaluateRegistryVersion } from './evaluate-version.ts';
export { qualityFromAudit, type SlotQuality } from './audit-quality.ts';
