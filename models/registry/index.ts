/** The registry commands' helpers: a session per namespace, validation files, progress, reports. */
export { openRegistrySession, type RegistrySession, type RegistrySessionOptions } from './session.ts';
export { parseValidationMetrics, readValidationMetrics } from './validation-file.ts';
export { progressPrinter, renderProgress } from './progress.ts';
export { formatCompare, formatDescribe, formatList, slotsOf } from './report.ts';
