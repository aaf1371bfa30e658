/**
 * Model registry tools for people (issue #9): what the `beamline model` command uses, on top of
 * functions/ (through its entries). The review queue lives in review/, the action sinks in sinks/.
 */
export {
  formatCompare,
  formatDescribe,
  formatList,
  openRegistrySession,
  parseValidationMetrics,
  progressPrinter,
  readValidationMetrics,
  renderProgress,
  slotsOf,
  type RegistrySession,
  type RegistrySessionOptions,
} from './registry/index.ts';
export { MODELS_ERROR_CODES, type ModelsErrorCode } from './errors.ts';
