// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NO_EXPORT_ALL = { selector: 'ExportAllDeclaration', message: 'House style 1: name each export; no `export *`.' };
// #15: one error catalogue per area. A `BL_...` code is written once, in its area's errors.ts /
// error-codes.ts (a frozen `XXX_ERROR_CODES`); code elsewhere refers to the constant.
const NO_INLINE_ERROR_CODE = {
  selector: 'Literal[value=/^BL_[A-Z0-9_]+$/]',
  message: "#15: refer to the area's catalogue constant (XXX_ERROR_CODES in its errors.ts or error-codes.ts), not an inline 'BL_...' code.",
};

/** Where `BL_...` literals belong: the catalogues themselves, and tests asserting codes. */
const ERROR_CATALOGUES = ['**/errors.ts', '**/error-codes.ts', 'test/**'];

/**
 * TEMPORARY (#15): areas other #15 branches convert to catalogues in parallel. The integrator
 * deletes this list once issue-15-pulsar and issue-15-cli are merged and their codes catalogued.
 */
const NOT_YET_CATALOGUED = ['functions/pulsar/**', 'tenants/**', 'models/**', 'scripts/**', 'cli/**', 'demo/**'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'bench-results/**', '.beamline/**', '**/*.generated.*', 'functions/pulsar/wire/proto/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', NO_EXPORT_ALL, NO_INLINE_ERROR_CODE],
    },
  },
  {
    files: [...ERROR_CATALOGUES, ...NOT_YET_CATALOGUED],
    rules: { 'no-restricted-syntax': ['error', NO_EXPORT_ALL] },
  },
);
