/**
 * The data scientist's model registry tools (issue #9): what the `beamline model` command uses,
 * on top of functions/ (through its entries): a registry session per namespace, validation
 * files, push progress and reports. The registry itself (manifests on the `models` topic,
 * routing, rollouts, drift, audit) is functions/runtime/model-registry/; the review queue lives
 * in review/, the action sinks in sinks/.
 */
export { openRegistrySession, type RegistrySession, type RegistrySessionOptions } from './session.ts';
export { parseValidationMetrics, readValidationMetrics } from './validation-file.ts';
export { progressPrinter, renderProgress } from './progress.ts';
export { formatCompare, formatDescribe, formatList, slotsOf } from './report.ts';
export { MODELS_ERROR_CODES, type ModelsErrorCode } from './errors.ts';
