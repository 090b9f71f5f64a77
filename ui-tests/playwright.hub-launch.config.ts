/**
 * The launch browser tests under the same real JupyterHub (scripts/test-ui-hub.sh runs them after
 * hub.spec.ts, whose story starts from a hub where alice has built nothing yet): starting servers
 * in environments from the panel and from a launch link (ui-tests/tests/hub-launch.spec.ts).
 */
import { defineConfig } from '@playwright/test';
import hub from './playwright.hub.config';

export default defineConfig({
  ...hub,
  testMatch: 'hub-launch.spec.ts',
  outputDir: 'test-results-hub-launch'
});
