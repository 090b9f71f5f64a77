/**
 * Browser tests of the Environments sidebar under a real JupyterHub (started by
 * scripts/test-ui-hub.sh, which exports HUB_URL, FIXTURE_OK_URL and FIXTURE_SLOW_URL): every user
 * logs in at the hub and starts their own JupyterLab, in Debian's Chromium. The browser set-up
 * is the standalone suite's; the suite takes its own screenshots and traces per user.
 */
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testIgnore: undefined,
  testMatch: 'hub.spec.ts',
  outputDir: 'test-results-hub',
  // One test per step of the story, in order (a serial suite): the longest one starts a
  // server and runs a first build.
  timeout: 3 * 60 * 1000,
  use: { ...base.use, screenshot: 'off', trace: 'off' }
});
