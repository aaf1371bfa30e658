/** Data governance: PII tokenization, tenant keyrings and envelope encryption at ingress. */
export { createPiiTokenizer, PII_KEY_FIELD, type PiiTokenizer, type PiiTokenizerOptions } from './pii-tokenizer.ts';
export {
  compileKeyring,
  decodeKeyMaterial,
  legacyKeyId,
  MIN_KEY_BYTES,
  newKeyringDocument,
  rotateKeyringDocument,
  singleKeyring,
  UnknownKeyError,
  type KeyringDocument,
  type TenantKeyring,
} from './keyring.ts';
export { GOVERNANCE_ERROR_CODES } from './errors.ts';
export {
  encodeSubjectKeyRecord,
  newSubjectKey,
  openSubjectKey,
  parseSubjectKeyRecord,
  SUBJECT_IS_KEY,
  SUBJECT_KEY_ID,
  subjectIndexer,
  subjectKeyring,
  subjectTokenizer,
  type SubjectKeyRecord,
} from './subject-keys.ts';
export { DecryptError, isEnvelope, openEnvelope, sealEnvelope, type Envelope } from './envelope.ts';
export {
  AUDIT_CHAIN_PROPERTIES,
  AuditChainWriter,
  auditSealOf,
  verifyAuditChain,
  type AuditChainWriterOptions,
  type AuditProblem,
  type AuditProblemKind,
  type AuditRecordRead,
  type AuditSeal,
  type AuditVerifyOptions,
  type AuditVerifyReport,
  type AuditWriterSummary,
} from './audit-chain.ts';
