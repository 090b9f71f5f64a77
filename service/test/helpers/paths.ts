/** Where the real parts the integration tests drive live (made by the project's scripts). */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SERVICE_DIR = resolve(import.meta.dirname, '../..');
export const ROOT = resolve(SERVICE_DIR, '..');
export const VENV = process.env.R2D_VENV ?? join(ROOT, '.venv');
export const REPO2DOCKER = join(VENV, 'bin', 'repo2docker');
export const OFFLINE_CONFIG = join(
  SERVICE_DIR,
  'config',
  'repo2docker_offline.py'
);

export function requireRealParts(): void {
  if (!existsSync(REPO2DOCKER)) {
    throw new Error(
      `${REPO2DOCKER} is missing: run scripts/setup-venv.sh (README's test command does)`
    );
  }
  execFileSync('docker', ['info'], { stdio: 'ignore' }); // throws if no engine answers
}

export interface Fixtures {
  dir: string;
  ok: string;
  fail: string;
  chatty: string;
  slow: string;
}

/** Fresh fixture repositories (new nonces, so no BuildKit cache hit from earlier runs). */
export function makeFixtures(chattyLines = 100_000): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'r2d-fixtures-'));
  execFileSync('bash', [join(ROOT, 'scripts', 'make-fixtures.sh'), dir], {
    env: { ...process.env, CHATTY_LINES: String(chattyLines) },
    stdio: ['ignore', 'ignore', 'inherit']
  });
  const url = (name: string): string => `file://${join(dir, name)}`;
  return {
    dir,
    ok: url('ok'),
    fail: url('fail'),
    chatty: url('chatty'),
    slow: url('slow')
  };
}

/**
 * The launchable fixture (scripts/make-launchable-fixture.sh) made in `parent`: its repository's
 * path. Bootstraps the base image the first time on a machine (minutes), then answers at once.
 */
export function makeLaunchableFixture(parent: string): string {
  return execFileSync(
    'bash',
    [join(ROOT, 'scripts', 'make-launchable-fixture.sh'), parent],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 15 * 60_000
    }
  ).trim();
}
