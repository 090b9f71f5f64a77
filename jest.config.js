// Jest for the JupyterLab extension, on @jupyterlab/testing's preset (jsdom, ts-jest, ESM deps
// transformed). The service has its own runner (node:test); see service/package.json.
const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter/',
  '@jupyterlab/',
  '@marijn',
  'color',
  'marked',
  '@lumino',
  '@microsoft',
  'exenv-es6',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs',
  'eventsource-parser',
  'anser'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  collectCoverageFrom: [
    'src/**/*.{ts,tsx}',
    '!src/**/*.d.ts',
    '!src/**/.ipynb_checkpoints/*'
  ],
  testRegex: 'src/.*/.*.spec.tsx?$',
  // *.live.spec.ts talk to a real JupyterHub named by environment variables (see each file's
  // header) and are run by hand against one, not in the unit tier, which has none.
  testPathIgnorePatterns: ['/node_modules/', '\\.live\\.spec\\.tsx?$'],
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`],
  moduleNameMapper: {
    ...baseConfig.moduleNameMapper,
    // The contract's values, from its TypeScript source (ts-jest compiles it), so jest needs no
    // service build; the package export points at service/dist for tsc and webpack.
    '^@jupyterlab-repo2docker/service/contract$':
      '<rootDir>/service/src/api/contract.ts'
  },
  globals: { 'ts-jest': { tsconfig: 'tsconfig.test.json' } }
};
