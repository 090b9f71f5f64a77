/**
 * The sharing browser tests under the same real JupyterHub (scripts/test-ui-hub.sh): alice shares
 * an environment with the hub group course-101, bob sees it under "Shared with you", dave does
 * not (ui-tests/tests/hub-sharing.spec.ts).
 */
import { defineConfig } from '@playwright/test';
import hub from './playwright.hub.config';

export default defineConfig({
  ...hub,
  testMatch: 'hub-sharing.spec.ts',
  outputDir: 'test-results-hub-sharing'
});
