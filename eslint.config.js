// Lint: typescript-eslint's recommended rules, plus the shape rules of the codebase.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'export names one by one: the public API is explicit' },
      ],
    },
  },
  {
    // core/ is pure: no I/O, no clock, no randomness; time comes in as an argument.
    files: ['src/core/**/*.ts', 'src/validators/**/*.ts', 'src/reports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto', 'better-sqlite3', 'pg'],
              message: 'core is pure: no I/O imports',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core takes time as an argument' },
        { object: 'Math', property: 'random', message: 'core takes randomness as an argument' },
        { object: 'process', property: 'env', message: 'core takes configuration as an argument' },
      ],
    },
  },
);
