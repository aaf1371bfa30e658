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
    files: ERROR_CATALOGUES,
    rules: { 'no-restricted-syntax': ['error', NO_EXPORT_ALL] },
  },
);
