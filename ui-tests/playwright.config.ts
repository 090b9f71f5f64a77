/**
 * Browser tests of the Environments sidebar against a real `jupyter lab` (started by
 * scripts/test-ui.sh, which exports JUPYTERLAB_URL, JUPYTERLAB_TOKEN and FIXTURE_OK_URL),
 * the real service behind jupyter-server-proxy and the real Docker engine, in Debian's Chromium.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './tests',
  // The hub suites have their own configs (playwright.hub*.config.ts) and runner
  // (scripts/test-ui-hub.sh); the BinderHub one runs only with that backend
  // (scripts/test-ui-binderhub.sh).
  testIgnore:
    process.env.R2D_UI_BACKEND === 'binderhub'
      ? ['**/hub*.spec.ts']
      : ['**/hub*.spec.ts', '**/laptop-binderhub.spec.ts'],
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  // A first build starts the service through the proxy, resolves the ref and runs repo2docker.
  timeout: 5 * 60 * 1000,
  expect: { timeout: 30 * 1000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1400, height: 900 },
    actionTimeout: 30 * 1000,
    navigationTimeout: 90 * 1000,
    screenshot: 'on',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking'
      ]
    }
  }
});
