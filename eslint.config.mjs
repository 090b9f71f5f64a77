// jupyterlab/extension-template's ESLint rules, in ESLint 9's flat form, for the extension, the
// service, the tests and the scripts' JavaScript alike. Formatting is prettier's (the last entry).
import js from '@eslint/js';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/lib/**',
      '**/dist/**',
      '.venv/**',
      '.state/**',
      'jupyterlab_repo2docker/labextension/**',
      'jupyterlab_repo2docker/service/**',
      'ui-tests/test-results*/**',
      'ui-tests/playwright-report/**',
      'bench/results/**',
      'coverage/**'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser, ...globals.node, ...globals.jest }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'warn',
        { args: 'none', ignoreRestSiblings: true }
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error',
      // Input validation and the ANSI parser match control characters on purpose.
      'no-control-regex': 'off'
    }
  },
  {
    // CommonJS configuration files read by Babel and Jest.
    files: ['*.config.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  prettierRecommended
);
