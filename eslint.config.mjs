// ESLint flat config: typed rules for the TypeScript sources (see ARCHITECTURE.md for import rules).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'samples/**', 'test/fixtures/**', '.vscode-test/**', '.harness/**', 'native/build/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'webview/**/*.ts'],
    languageOptions: {
      // webview/ has its own tsconfig.json (lib dom), which the project service finds.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
    },
  },
  {
    // The audit core never touches the editor.
    files: ['src/engine/**/*.ts', 'src/stats/**/*.ts', 'src/probes/**/*.ts', 'src/audit/**/*.ts', 'src/cli/**/*.ts', 'src/backend/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The audit core and backend must not import vscode.' }] }] },
  },
  {
    // The extension talks to the audit only through src/protocol.
    files: ['src/extension/**/*.ts', 'webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/engine/**', '**/audit/**', '**/probes/**', '**/stats/**', '**/backend/**', '@tensorflow/*'], message: 'The extension and webviews talk to the audit only through src/protocol.' },
      ] }],
    },
  },
);
