// Type-aware, strict: the rules catch the mistakes a reviewer would (floating promises, unsafe
// `any`, needless conditions) before a test has to.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // noUncheckedIndexedAccess types every typed-array read as `number | undefined`; the codecs index
      // inside checked bounds, where `!` states that and a runtime check would cost the hot path.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Template literals with numbers and booleans read well and are exact.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
