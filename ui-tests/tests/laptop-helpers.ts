/**
 * Helpers of the laptop-mode browser tests (`jupyter lab` with the wheel, the service behind
 * jupyter-server-proxy, the real Docker engine): the service's API with the server's token, and
 * many image fixtures made fast.
 *
 * Many images: one tiny filesystem imported with `docker import` once per image, each with the
 * service's labels copied from a real build of the same fixture (so the service lists them and
 * answers a build request for them as "already built", which makes a finished build record per
 * image in a few milliseconds instead of a real build).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import type { APIRequestContext } from '@playwright/test';

const run = promisify(execFile);

export function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the browser tests with scripts/test-ui.sh`
    );
  }
  return value;
}

export const LAB_URL = () => env('JUPYTERLAB_URL').replace(/\/+$/, '');
export const TOKEN = () => env('JUPYTERLAB_TOKEN');

/** The service's API through the proxy, with the Jupyter server's token. */
export async function api<T>(
  request: APIRequestContext,
  method: 'GET' | 'POST' | 'DELETE',
  apiPath: string,
  body?: unknown
): Promise<{ status: number; body: T }> {
  const response = await request.fetch(`${LAB_URL()}/repo2docker/${apiPath}`, {
    method,
    headers: {
      Authorization: `token ${TOKEN()}`,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {})
    },
    data: body !== undefined ? JSON.stringify(body) : undefined
  });
  const text = await response.text();
  return {
    status: response.status(),
    body: (text ? JSON.parse(text) : undefined) as T
  };
}

export interface IBuild {
  id: string;
  image: string;
  name: string;
  displayName: string;
  phase: string;
  commit: string;
  error: string | null;
  logAvailable?: boolean;
}

/** Start a build and wait until it is final; returns the final build. */
export async function buildAndWait(
  request: APIRequestContext,
  body: Record<string, unknown>,
  timeoutMs = 180_000
): Promise<IBuild> {
  const started = await api<IBuild>(request, 'POST', 'api/builds', body);
  if (started.status !== 200 && started.status !== 202) {
    throw new Error(
      `POST api/builds: ${started.status} ${JSON.stringify(started.body)}`
    );
  }
  const deadline = Date.now() + timeoutMs;
  let build = started.body;
  while (!['built', 'failed', 'cancelled'].includes(build.phase)) {
    if (Date.now() > deadline) {
      throw new Error(`build ${build.id} still ${build.phase}`);
    }
    await new Promise(r => setTimeout(r, 500));
    build = (await api<IBuild>(request, 'GET', `api/builds/${build.id}`)).body;
  }
  return build;
}

/** The labels of an image in the engine. */
async function imageLabels(image: string): Promise<Record<string, string>> {
  const { stdout } = await run('docker', [
    'image',
    'inspect',
    '--format',
    '{{json .Config.Labels}}',
    image
  ]);
  return JSON.parse(stdout) as Record<string, string>;
}

const LABEL_PREFIX = 'org.jupyter.repo2docker-service.';

/**
 * `count` images named `<repository of base>/../<prefix>-NNN:<tag of base>`, each with the
 * labels of `base` but its own name, display name and build id. Returns their names.
 */
export async function makeImageFixtures(
  base: string,
  count: number,
  prefix: string
): Promise<string[]> {
  const labels = await imageLabels(base);
  const colon = base.lastIndexOf(':');
  const repository = base.slice(0, colon);
  const tag = base.slice(colon + 1);
  const namespace = repository.slice(0, repository.lastIndexOf('/'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'r2d-images-'));
  fs.writeFileSync(path.join(dir, 'marker'), 'fixture\n');
  const tar = path.join(dir, 'fs.tar');
  await run('tar', ['-cf', tar, '-C', dir, 'marker']);
  const names: string[] = [];
  const one = async (i: number) => {
    const short = `${prefix}-${String(i).padStart(3, '0')}`;
    const name = `${namespace}/${short}:${tag}`;
    const mine: Record<string, string> = {
      ...labels,
      [`${LABEL_PREFIX}name`]: short,
      [`${LABEL_PREFIX}display-name`]: short,
      [`${LABEL_PREFIX}build-id`]: `fixture${String(i).padStart(9, '0')}`
    };
    const changes = Object.entries(mine).flatMap(([k, v]) => [
      '--change',
      `LABEL ${k}=${JSON.stringify(v)}`
    ]);
    await run('docker', ['import', ...changes, tar, name]);
    names.push(name);
  };
  const queue = Array.from({ length: count }, (_, i) => i + 1);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await one(i);
      }
    })
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return names.sort();
}

/** Remove images from the engine (the fixtures made above). */
export async function removeImages(names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 50) {
    await run('docker', ['rmi', '-f', ...names.slice(i, i + 50)]).catch(
      () => undefined
    );
  }
}

/** The short name (`name` of a build request) of a fixture image name. */
export function shortName(image: string): string {
  const repository = image.slice(0, image.lastIndexOf(':'));
  return repository.slice(repository.lastIndexOf('/') + 1);
}
