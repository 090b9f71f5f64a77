/**
 * The panel's tests import this first, before anything that loads the panel: it puts the light
 * stand-ins of ./uiMocks in place of `@jupyterlab/ui-components` and `@jupyterlab/apputils`
 * (jest.mock registers for the whole test file, and must run before those modules are loaded).
 * A test that needs its own variant of a mock (folderBuild.spec.tsx) calls jest.mock itself.
 */

jest.mock(
  '@jupyterlab/ui-components',
  () => jest.requireActual('./uiMocks').uiComponents
);
jest.mock(
  '@jupyterlab/apputils',
  () => jest.requireActual('./uiMocks').apputils
);

export {};
