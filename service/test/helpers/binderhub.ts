/**
 * A real BinderHub for tests: `scripts/start-binderhub.sh` (API-only, local repo2docker builds on
 * this engine, loopback) on a free port, with its own state directory and an image prefix of its
 * own, so that stopping it removes exactly the images it built and nothing of anyone else's.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';
import { ROOT } from './paths.js';

const SCRIPT = join(ROOT, 'scripts', 'start-binderhub.sh');

export class BinderHubProcess {
  url = '';
  /** Every image this BinderHub builds is named `${imagePrefix}<slug>:<commit>`. */
  readonly imagePrefix = `r2d-bhtest-${randomBytes(4).toString('hex')}/`;
  private dir = '';
  private env: NodeJS.ProcessEnv = {};

  /**
   * `registry` (`host:port`): BinderHub checks and pushes to that registry (use_registry), its
   * image names then begin with the host (scripts/binderhub_config.py).
   */
  constructor(private readonly options: { registry?: string } = {}) {}

  /** What every image name of this BinderHub begins with. */
  get namePrefix(): string {
    return this.options.registry
      ? `${this.options.registry}/${this.imagePrefix}`
      : this.imagePrefix;
  }

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'r2d-binderhub-'));
    const port = await freePort();
    this.env = {
      ...process.env,
      R2D_BINDERHUB_DIR: this.dir,
      R2D_BINDERHUB_PORT: String(port),
      R2D_BINDERHUB_IMAGE_PREFIX: this.imagePrefix,
      ...(this.options.registry
        ? { R2D_BINDERHUB_REGISTRY: this.options.registry }
        : {})
    };
    // The script installs BinderHub if it is missing (tens of seconds, once) and waits for /versions.
    this.url = execFileSync('bash', [SCRIPT], {
      env: this.env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 300_000
    }).trim();
    return this;
  }

  /** BinderHub's own log (tornado's), e.g. to count "Starting build" lines. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'binderhub.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** The images it built, as `repository:tag`. */
  images(): string[] {
    const out = execFileSync(
      'docker',
      [
        'images',
        '--format',
        '{{.Repository}}:{{.Tag}}',
        '--filter',
        `reference=${this.namePrefix}*`
      ],
      { encoding: 'utf8' }
    ).trim();
    return out === '' ? [] : out.split('\n');
  }

  async stop(): Promise<void> {
    if (this.dir === '') {
      return;
    }
    execFileSync('bash', [SCRIPT, 'stop'], {
      env: this.env,
      stdio: ['ignore', 'ignore', 'inherit']
    });
    for (const image of this.images()) {
      try {
        execFileSync('docker', ['rmi', '--force', image], { stdio: 'ignore' });
      } catch {
        // gone already
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
}

/**
 * A fixture repository like scripts/make-fixtures.sh makes (FROM scratch, busybox, a nonce so
 * that BuildKit's cache cannot answer), with a RUN script of the test's choosing.
 */
export function makeRepo(parent: string, name: string, script: string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  writeFileSync(join(dir, 'nonce'), randomBytes(16).toString('hex'));
  writeFileSync(
    join(dir, 'Dockerfile'),
    `FROM scratch\nCOPY busybox /bin/busybox\nCOPY nonce /nonce\nRUN ["/bin/busybox", "sh", "-c", ${JSON.stringify(script)}]\n`
  );
  const git = (...args: string[]): void => {
    execFileSync(
      'git',
      [
        '-C',
        dir,
        '-c',
        'user.name=fixture',
        '-c',
        'user.email=fixture@localhost',
        ...args
      ],
      {
        stdio: 'ignore'
      }
    );
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', `fixture ${name}`);
  return `file://${dir}`;
}

export function fixtureParent(): string {
  return mkdtempSync(join(tmpdir(), 'r2d-bh-fixtures-'));
}
