/**
 * A real JupyterHub for tests: `scripts/start-hub.sh --foreground` (the README's example config
 * plus examples/test_overrides.py) on free loopback ports, with the repo2docker service run by
 * the hub from this source tree and reached through the hub's proxy, as users reach it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFFLINE_CONFIG, REPO2DOCKER, ROOT } from './paths.js';
import { freePort, jsonCall, type ApiResponse } from './net.js';

const sleep = (ms: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, ms));

export interface HubOptions {
  /**
   * Merged over the service's test config (local repos allowed, the venv's repo2docker with the
   * offline config, token cache of 1 s so that revocation is seen at once).
   */
  serviceConfig?: Record<string, unknown>;
  /** Extra environment for start-hub.sh (e.g. R2D_SERVICE_FROM=bundle). */
  env?: Record<string, string>;
  /** Seconds to wait for the hub and the service to answer through the proxy. */
  startSeconds?: number;
}

export class HubProcess {
  /** The public URL (the proxy), e.g. http://127.0.0.1:PORT */
  url = '';
  /** The service's URL through the proxy, without a trailing slash. */
  serviceUrl = '';
  readonly adminToken = randomBytes(24).toString('hex');
  /** Hub, proxy and service output (the service's stdout/stderr are the hub's). */
  output = '';
  private child: ChildProcess | null = null;
  private dir = '';

  constructor(private readonly options: HubOptions = {}) {}

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'r2d-hub-'));
    const [hub, internal, proxyApi, service] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort()
    ];
    this.url = `http://127.0.0.1:${hub}`;
    this.serviceUrl = `${this.url}/services/repo2docker`;
    const serviceConfig = join(this.dir, 'service-config.json');
    writeFileSync(
      serviceConfig,
      JSON.stringify({
        repo2docker: { command: [REPO2DOCKER], configFile: OFFLINE_CONFIG },
        builds: { allowLocalRepos: true },
        auth: { cacheSeconds: 1 },
        logLevel: 'info',
        ...this.options.serviceConfig
      })
    );
    this.child = spawn(
      'bash',
      [join(ROOT, 'scripts', 'start-hub.sh'), '--foreground'],
      {
        env: {
          ...process.env,
          R2D_HUB_DIR: this.dir,
          R2D_HUB_PORT: String(hub),
          R2D_HUB_INTERNAL_PORT: String(internal),
          R2D_PROXY_API_PORT: String(proxyApi),
          R2D_SERVICE_PORT: String(service),
          R2D_HUB_ADMIN_TOKEN: this.adminToken,
          R2D_SERVICE_CONFIG: serviceConfig,
          ...this.options.env
        },
        stdio: ['ignore', 'pipe', 'pipe']
      }
    );
    this.child.stdout!.on('data', chunk => (this.output += chunk));
    this.child.stderr!.on('data', chunk => (this.output += chunk));
    const seconds = this.options.startSeconds ?? 60;
    const deadline = Date.now() + seconds * 1000;
    // First the hub's API through the proxy, then the service's health through the proxy (the
    // hub adds the service's route once the service answers).
    for (const probe of [`${this.url}/hub/api/`, `${this.serviceUrl}/health`]) {
      for (;;) {
        const code = this.child!.exitCode;
        if (code !== null) {
          const output = this.output;
          await this.stop();
          throw new Error(
            `JupyterHub exited at start (code ${code}):\n${output}`
          );
        }
        if (Date.now() > deadline) {
          const output = this.output;
          await this.stop();
          throw new Error(
            `${probe} did not answer within ${seconds} s:\n${output}`
          );
        }
        try {
          const response = await fetch(probe, {
            signal: AbortSignal.timeout(2000)
          });
          if (response.status === 200) {
            break;
          }
        } catch {
          // not up yet
        }
        await sleep(300);
      }
    }
    return this;
  }

  /** SIGTERM: the hub stops its managed service (which cancels running builds) and the proxy. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** A call to the hub's REST API as the test-admin service. */
  async hubApi<T = any>(
    method: string,
    path: string,
    body?: unknown
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.url}/hub/api${path}`, {
      method,
      headers: {
        authorization: `token ${this.adminToken}`,
        'content-type': 'application/json'
      },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : null) as T,
      headers: response.headers
    };
  }

  /**
   * A new API token for `user`. Without `scopes` it inherits all the user's scopes (the roles of
   * their groups included), like the token a user's JupyterLab gets when the example config's
   * oauth_client_allowed_scopes list them; with `scopes`, exactly those (as far as the user holds them).
   */
  async token(user: string, scopes?: string[]): Promise<string> {
    return (await this.createToken(user, scopes)).token;
  }

  /** The hub's whole answer: `token`, `id` (to revoke it), `scopes`. */
  async createToken(
    user: string,
    scopes?: string[]
  ): Promise<{ token: string; id: string; scopes: string[] }> {
    const body: Record<string, unknown> = {
      note: 'repo2docker hub test',
      expires_in: 3600
    };
    if (scopes) {
      body.scopes = scopes;
    }
    const response = await this.hubApi(
      'POST',
      `/users/${encodeURIComponent(user)}/tokens`,
      body
    );
    if (response.status !== 201) {
      throw new Error(
        `cannot make a token for ${user}: ${response.status} ${JSON.stringify(response.body)}`
      );
    }
    return response.body;
  }

  /** A call to the service through the proxy; `token` null sends no Authorization header. */
  async api<T = any>(
    token: string | null,
    method: string,
    path: string,
    body?: unknown
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== null) {
      headers.authorization = `token ${token}`;
    }
    return jsonCall<T>(this.serviceUrl + path, method, headers, body);
  }

  /** Poll a build (as `token`'s user) until its phase is final. */
  async waitForBuild(token: string, id: string, seconds = 120): Promise<any> {
    return this.waitForPhase(
      token,
      id,
      ['built', 'failed', 'cancelled'],
      seconds
    );
  }

  async waitForPhase(
    token: string,
    id: string,
    phases: string[],
    seconds = 60
  ): Promise<any> {
    const deadline = Date.now() + seconds * 1000;
    let last: unknown = null;
    while (Date.now() < deadline) {
      const { status, body } = await this.api(
        token,
        'GET',
        `/api/builds/${id}`
      );
      last = body;
      if (status === 200 && phases.includes(body.phase)) {
        return body;
      }
      await sleep(200);
    }
    throw new Error(
      `build ${id} not in ${phases.join('/')} after ${seconds} s: ${JSON.stringify(last)}`
    );
  }
}

/** One HTTP request with exactly the headers given (and no redirects followed). */
function rawRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method,
        headers:
          body === undefined
            ? headers
            : { ...headers, 'content-length': String(Buffer.byteLength(body)) }
      },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', chunk => chunks.push(chunk as Buffer));
        response.on('end', () => {
          const out = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const item of Array.isArray(value)
              ? value
              : value === undefined
                ? []
                : [value]) {
              out.append(name, item);
            }
          }
          resolve({
            status: response.statusCode ?? 0,
            headers: out,
            text: Buffer.concat(chunks).toString('utf8')
          });
        });
        response.on('error', reject);
      }
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * A build through the hub as `token`'s user, asserted accepted (202) and then `built`. Its image
 * goes into `made` (which the caller removes after) as soon as the answer names it.
 */
export async function buildThroughHub(
  hub: HubProcess,
  token: string,
  request: Record<string, unknown>,
  made: Set<string>,
  seconds?: number
): Promise<any> {
  const started = await hub.api(token, 'POST', '/api/builds', request);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  made.add(started.body.image);
  const build = await hub.waitForBuild(token, started.body.id, seconds);
  assert.equal(build.phase, 'built', JSON.stringify(build));
  return build;
}

/** Stops `hub` (if it started) and keeps its output in `logFile` for a look after a failure. */
export async function stopKeepingLog(
  hub: HubProcess | undefined,
  logFile: string
): Promise<void> {
  await hub?.stop();
  if (hub) {
    writeFileSync(logFile, hub.output);
    console.log(`# hub, proxy and service log: ${logFile}`);
  }
}

export interface BrowserResponse {
  status: number;
  url: string;
  headers: Headers;
  text: string;
  /** Every URL the request went through, redirects included. */
  chain: string[];
}

/**
 * A browser, as far as logins go: one cookie jar for the hub's host, redirects followed by hand
 * (so cookies set on the way are kept). Paths and expiry of cookies are honoured loosely: a
 * cookie cleared by the server is dropped; every other cookie is sent everywhere on the host.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  private remember(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map(part => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some(
        attribute =>
          /^max-age=0$/i.test(attribute) ||
          (/^expires=/i.test(attribute) &&
            Date.parse(attribute.slice(8)) < Date.now())
      );
      if (expired || value === '') {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }

  async request(
    method: string,
    url: string,
    options: {
      body?: string;
      headers?: Record<string, string>;
      maxRedirects?: number;
    } = {}
  ): Promise<BrowserResponse> {
    const chain: string[] = [];
    let current = url;
    let currentMethod = method;
    let body = options.body;
    for (let hop = 0; hop <= (options.maxRedirects ?? 10); hop++) {
      chain.push(current);
      // A browser following links says `Sec-Fetch-Mode: navigate`; JupyterHub asks cookie-
      // authenticated requests in any other mode for an XSRF token. (Node's fetch always says
      // `cors`, whatever it is told: hence node:http here.)
      const headers: Record<string, string> = {
        'sec-fetch-mode': 'navigate',
        ...options.headers
      };
      if (this.cookies.size > 0) {
        headers.cookie = [...this.cookies]
          .map(([name, value]) => `${name}=${value}`)
          .join('; ');
      }
      const response = await rawRequest(currentMethod, current, headers, body);
      this.remember(response.headers);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).toString();
        if (response.status === 302 || response.status === 303) {
          currentMethod = 'GET';
          body = undefined;
        }
        continue;
      }
      return {
        status: response.status,
        url: current,
        headers: response.headers,
        text: response.text,
        chain
      };
    }
    throw new Error(`too many redirects from ${url}: ${chain.join(' -> ')}`);
  }

  /** Log in on the hub's login page (the test hub's DummyAuthenticator takes any password). */
  async logIn(
    hub: HubProcess,
    user: string,
    password = 'any password'
  ): Promise<void> {
    const page = await this.request('GET', `${hub.url}/hub/login`);
    const xsrf = /name="_xsrf"\s+value="([^"]+)"/.exec(page.text)?.[1];
    const form = new URLSearchParams({
      username: user,
      password,
      ...(xsrf ? { _xsrf: xsrf } : {})
    });
    const done = await this.request('POST', `${hub.url}/hub/login`, {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      maxRedirects: 0
    }).catch(() => null);
    if (
      ![...this.cookies.keys()].some(name =>
        name.includes('jupyterhub-hub-login')
      )
    ) {
      throw new Error(
        `login as ${user} failed: ${done?.status} ${done?.text.slice(0, 300)}`
      );
    }
  }

  /**
   * Start `user`'s JupyterLab through the hub (the user must be logged in) and return its
   * PageConfig (`jupyter-config-data`), whose `token` is what the extension calls the service with.
   */
  async openLab(
    hub: HubProcess,
    user: string,
    seconds = 90
  ): Promise<Record<string, any>> {
    const lab = `${hub.url}/user/${encodeURIComponent(user)}/lab`;
    let page = await this.request(
      'GET',
      `${hub.url}/hub/spawn/${encodeURIComponent(user)}`,
      { maxRedirects: 20 }
    );
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const config =
        /<script id="jupyter-config-data" type="application\/json">([\s\S]*?)<\/script>/.exec(
          page.text
        );
      if (page.status === 200 && page.url.startsWith(lab) && config) {
        return JSON.parse(config[1]) as Record<string, any>;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${user}'s JupyterLab did not open within ${seconds} s: ${page.status} ${page.chain.join(' -> ')}`
        );
      }
      await sleep(500);
      page = await this.request('GET', lab, { maxRedirects: 20 });
    }
  }
}
