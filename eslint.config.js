// Type-aware rules that catch real bugs in this codebase (promises nobody awaits, a switch that
// forgets a kind, errors classified by their text), not style: formatting is left to the author.
// The layer rules live in .dependency-cruiser.cjs; `npm run lint` runs both.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', 'dist/**', '**/*.cjs', '**/*.mjs', '**/*.js'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A probe, a write or a publish that nobody awaits can lose a result or an alert silently.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Forgetting a check kind, an event or a reason in a switch must fail here, not in production.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-duplicate-type-constituents': 'error',
      'no-fallthrough': 'error',
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Errors are classified by their code (shared/errors.ts, shared/probe/classify.ts), never by text.
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name=/^(includes|startsWith|endsWith|match|search)$/][callee.object.type='MemberExpression'][callee.object.property.name='message']",
        message: 'Branch on an error code, not on its message text.',
      }, {
        selector: "CallExpression[callee.property.name='test'][arguments.0.type='MemberExpression'][arguments.0.property.name='message']",
        message: 'Branch on an error code, not on its message text.',
      }, {
        // shared/errors.ts: every error Vantage throws carries a code from the closed ErrorCode set.
        selector: "ThrowStatement > NewExpression[callee.name=/^(Error|TypeError|RangeError)$/]",
        message: 'Throw a VantageError (or a subclass) with a code from ErrorCode (shared/errors.ts).',
      }],
    },
  },
  {
    // Tests may read messages (asserting what a person is told is the point of many of them), and
    // the bench's own harness errors are not Vantage's to classify.
    files: ['test/**/*.ts', 'testkit/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
