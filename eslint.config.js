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
      // `(resolve) => server.close(resolve)` is the usual callback shorthand, and `return done()` from a
      // void function an early exit: neither value is used.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true },
      ],
      // A `_` name is unused on purpose: a loop that only drains, a key dropped by rest destructuring.
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Template literals with numbers and booleans read well and are exact.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // tap queues every `t.test(...)` subtest and awaits it itself; awaiting each one by hand only adds noise.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/test', name: 'test' }] },
      ],
      // tap ends a subtest when its callback's promise settles (a plain callback must call t.end()), and
      // test fakes implement async interfaces: there `async` without `await` is the contract, not a slip.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/tsdb/xor-chunk.ts'],
    // Its conditions read the next bit of a stream (`r.bit() === 0`): equal texts are different tests.
    rules: { 'no-dupe-else-if': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // CommonJS on purpose: the firebase-tools emulator it starts is CommonJS.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
