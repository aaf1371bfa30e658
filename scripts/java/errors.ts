/** Error codes of the Java peer build (scripts/java/). */
export const JAVA_PEER_ERROR_CODES = Object.freeze({
  toolMissing: 'BL_JAVA_PEER_TOOL_MISSING',
  resolveFailed: 'BL_JAVA_PEER_RESOLVE_FAILED',
  compileFailed: 'BL_JAVA_PEER_COMPILE_FAILED',
  runFailed: 'BL_JAVA_PEER_RUN_FAILED',
});
