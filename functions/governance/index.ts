/** Data governance: PII tokenization at ingress. */
export { createPiiTokenizer, type PiiTokenizer, type PiiTokenizerOptions } from './pii-tokenizer.ts';
