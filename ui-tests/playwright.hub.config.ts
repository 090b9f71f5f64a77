/**
 * Browser tests of the Environments sidebar under a real JupyterHub (started by
 * scripts/test-ui-hub.sh, which exports HUB_URL, FIXTURE_OK_URL and FIXTURE_SLOW_URL): every user
 * logs in at the hub and starts their own JupyterLab, in Debian's Chromium.
 */
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "./tests",
  testMatch: "hub.spec.ts",
  outputDir: "test-results-hub",
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  // One test per step of the story, in order (a serial suite): the longest one starts a
  // server and runs a first build.
  timeout: 3 * 60 * 1000,
  expect: { timeout: 30 * 1000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    viewport: { width: 1400, height: 900 },
    actionTimeout: 30 * 1000,
    navigationTimeout: 90 * 1000,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
      ],
    },
  },
});
