/**
 * The folder browser test under the same real JupyterHub (ui-tests/tests/hub-folder.spec.ts):
 * alice right-clicks a folder of her server, builds it (her server packs it and uploads it to the
 * service with her token), starts a server in the image and finds the folder's files there.
 * Run by scripts/test-ui-hub.sh after the other hub suites (it needs the rig's per-server
 * spawner and FIXTURE_LAUNCHABLE_URL, whose base image the folder's Dockerfile builds FROM).
 */
import { defineConfig } from '@playwright/test';
import hub from './playwright.hub.config';

export default defineConfig({
  ...hub,
  testMatch: 'hub-folder.spec.ts',
  outputDir: 'test-results-hub-folder',
  // A build FROM the launchable base, then a server start.
  timeout: 5 * 60 * 1000
});
