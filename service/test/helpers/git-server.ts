/**
 * A real git server that requires authentication, for the private-repository tests: lighttpd
 * with git-http-backend on 127.0.0.1, started and stopped with scripts/start-git-server.sh.
 * `/private/` asks for HTTP basic auth, `/public/` does not.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './net.js';
import { ROOT } from './paths.js';

const SCRIPT = join(ROOT, 'scripts', 'start-git-server.sh');
const STATE_DIR = process.env.R2D_STATE_DIR ?? join(ROOT, '.state');

export interface GitServer {
  name: string;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  username: string;
  password: string;
  /** Where the bare repositories of a tree live (a test may add its own there). */
  reposDir(tree: 'private' | 'public'): string;
  /** A fixture repository (FROM scratch Dockerfile, marker file, `COPY . /src`): its URL and commit. */
  fixture(
    name: string,
    tree?: 'private' | 'public'
  ): { url: string; commit: string };
  stop(): void;
}

export async function startGitServer(
  username: string,
  password: string
): Promise<GitServer> {
  const port = await freePort();
  const name = `test-${port}`;
  const url = execFileSync(
    'bash',
    [SCRIPT, '--name', name, '--port', String(port), '--user', username],
    {
      encoding: 'utf8',
      // The password on the environment, never argv.
      env: { ...process.env, GIT_SERVER_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'inherit']
    }
  ).trim();
  return {
    name,
    port,
    url,
    username,
    password,
    reposDir: tree => join(STATE_DIR, `git-server-${name}`, 'repos', tree),
    fixture: (repo, tree = 'private') => {
      const args = [SCRIPT, '--name', name, '--fixture', repo];
      if (tree === 'public') {
        args.push('--public');
      }
      const [fixtureUrl, commit] = execFileSync('bash', args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit']
      })
        .trim()
        .split(' ');
      return { url: fixtureUrl, commit };
    },
    stop: () => {
      execFileSync('bash', [SCRIPT, '--stop', '--name', name], {
        stdio: ['ignore', 'ignore', 'ignore']
      });
    }
  };
}
