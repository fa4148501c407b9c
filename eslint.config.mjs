import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', '.deploy-cache/', '*.js', '*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The Raft driver is generic over its state machine: the store and its glue sit above it.
    files: ['libs/raft-node/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@flotilla/store', '@flotilla/store/*', '@flotilla/replicated-store', '@flotilla/replicated-store/*'],
              message: 'libs/raft-node knows no store: the glue lives in libs/replicated-store.',
            },
          ],
        },
      ],
    },
  },
);
