// ESLint (flat config). Keeps packages/domain and packages/cycle pure (no I/O libraries), forbids import cycles,
// keeps the simulator out of production code, and keeps functions and files small enough to read.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/src/gen/**', '**/build/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json', noWarnOnMultipleProjects: true })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // small, readable units: a function over ~80 lines or a file over ~400 is a sign to split (tests excepted)
    files: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts', 'bench/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/src/gen/**'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['packages/domain/**/*.ts', 'packages/cycle/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@grpc/*', 'bullmq', 'ioredis', 'express', 'pino', 'prom-client', '@ballast/libvirt', '@ballast/hypervisor', '@ballast/proto', '@ballast/queue', '@ballast/runtime', 'node:fs', 'node:net', 'node:http', 'node:child_process', 'fs', 'net', 'http', 'child_process'],
              message: 'packages/domain and packages/cycle are pure: no I/O libraries (see README.md, "Architecture": where code lives).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['services/*/src/**/*.ts', 'packages/hypervisor/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@ballast/sim', '@ballast/sim/*'],
              message: 'the simulator is for tests and the bench: production code opens a Hypervisor (openHypervisor).',
            },
          ],
        },
      ],
    },
  },
);
