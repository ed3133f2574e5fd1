// ESLint (flat config). Keeps packages/domain pure (no I/O libraries) and forbids import cycles.
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
    files: ['packages/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@grpc/*', 'bullmq', 'ioredis', 'express', 'pino', 'prom-client', '@ballast/libvirt', '@ballast/hypervisor', '@ballast/proto', '@ballast/queue', '@ballast/runtime', 'node:fs', 'node:net', 'node:http', 'node:child_process', 'fs', 'net', 'http', 'child_process'],
              message: 'packages/domain is pure: no I/O libraries (see README.md, "Architecture": where code lives).',
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
