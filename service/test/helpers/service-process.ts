/**
 * Runs the real service as a child process (as jupyter-server-proxy or JupyterHub would) on a
 * free loopback port, with a config file written for the test, and talks to it over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, jsonCall, type ApiResponse } from './net.js';
import { OFFLINE_CONFIG, REPO2DOCKER, SERVICE_DIR } from './paths.js';

export interface StartOptions {
  user?: string;
  /** Merged over the test defaults (local repos allowed, offline repo2docker config). */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
}

export type { ApiResponse } from './net.js';

export class ServiceProcess {
  readonly secret = randomBytes(16).toString('hex');
  url = '';
  private child: ChildProcess | null = null;
  output = '';

  constructor(private readonly options: StartOptions = {}) {}

  async start(): Promise<this> {
    const dir = mkdtempSync(join(tmpdir(), 'r2d-service-'));
    const configFile = join(dir, 'config.json');
    const config = {
      repo2docker: { command: [REPO2DOCKER], configFile: OFFLINE_CONFIG },
      builds: { allowLocalRepos: true },
      logLevel: 'warn',
      ...this.options.config
    };
    writeFileSync(configFile, JSON.stringify(config));
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/main.ts',
        '--config',
        configFile,
        '--port',
        String(port)
      ],
      {
        cwd: SERVICE_DIR,
        env: {
          ...process.env,
          USER: this.options.user ?? 'tester',
          REPO2DOCKER_SERVICE_SECRET: this.secret,
          ...this.options.env
        },
        stdio: ['ignore', 'pipe', 'pipe']
      }
    );
    this.child.stdout!.on('data', chunk => (this.output += chunk));
    this.child.stderr!.on('data', chunk => (this.output += chunk));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`service exited at start:\n${this.output}`);
      }
      try {
        await fetch(`${this.url}/health`);
        return this;
      } catch {
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    }
    throw new Error(`service did not answer within 20 s:\n${this.output}`);
  }

  /** SIGTERM and wait: the service cancels its running builds before it exits. */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      await exited;
    }
    this.child = null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Send `signal` and wait for the exit: how long it took and how it ended. */
  async kill(signal: NodeJS.Signals): Promise<{
    ms: number;
    code: number | null;
    signal: NodeJS.Signals | null;
  }> {
    const child = this.child;
    if (!child || child.exitCode !== null) {
      throw new Error('the service is not running');
    }
    const started = Date.now();
    const exited = once(child, 'exit') as Promise<
      [number | null, NodeJS.Signals | null]
    >;
    child.kill(signal);
    const [code, exitSignal] = await exited;
    this.child = null;
    return { ms: Date.now() - started, code, signal: exitSignal };
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `token ${this.secret}`, ...extra };
  }

  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<ApiResponse<T>> {
    return jsonCall<T>(
      this.url + path,
      method,
      headers ?? this.headers(),
      body
    );
  }

  /** Poll a build until its phase is final, or fail after `seconds`. */
  async waitForBuild(id: string, seconds = 120): Promise<any> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      const { body } = await this.api('GET', `/api/builds/${id}`);
      if (['built', 'failed', 'cancelled'].includes(body.phase)) {
        return body;
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    throw new Error(`build ${id} not finished after ${seconds} s`);
  }
}
