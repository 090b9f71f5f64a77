/**
 * Real registries for the integration tests: Debian's docker-registry on 127.0.0.1, started and
 * stopped with scripts/start-registry.sh; a plain client of the distribution API that reads what
 * the service pushed independently of the service's own adapter; and a TCP proxy in front of a
 * registry that can hold the first blob upload, so a test can stop the registry mid-push.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePort } from './net.js';
import { ROOT } from './paths.js';

const SCRIPT = join(ROOT, 'scripts', 'start-registry.sh');
const STATE_DIR = process.env.R2D_STATE_DIR ?? join(ROOT, '.state');

export { freePort };

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface TestRegistry {
  name: string;
  port: number;
  url: string;
  /** `127.0.0.1:PORT`, as image names begin with it. */
  host: string;
  auth: RegistryAuth | null;
  /** Stop it and remove its storage (the script's --stop). */
  stop(): void;
  /** Kill the registry process at once (SIGKILL), as a crash would. */
  kill(): void;
}

export async function startRegistry(
  options: { auth?: RegistryAuth; noDelete?: boolean } = {}
): Promise<TestRegistry> {
  const port = await freePort();
  const name = `test-${port}`;
  const args = [SCRIPT, '--name', name, '--port', String(port)];
  if (options.auth) {
    args.push('--auth', options.auth.username);
  }
  if (options.noDelete) {
    args.push('--no-delete');
  }
  const url = execFileSync('bash', args, {
    encoding: 'utf8',
    env: { ...process.env, REGISTRY_PASSWORD: options.auth?.password ?? '' },
    stdio: ['ignore', 'pipe', 'inherit']
  }).trim();
  const stop = (): void => {
    execFileSync('bash', [SCRIPT, '--stop', '--name', name], {
      stdio: ['ignore', 'ignore', 'ignore']
    });
  };
  return {
    name,
    port,
    url,
    host: `127.0.0.1:${port}`,
    auth: options.auth ?? null,
    stop,
    kill: () => {
      try {
        process.kill(
          Number(
            readFileSync(
              join(STATE_DIR, `registry-${name}`, 'pid'),
              'utf8'
            ).trim()
          ),
          'SIGKILL'
        );
      } catch {
        // gone already
      }
    }
  };
}

/** A GET on the registry's API with Basic auth when it has some; the response as JSON or text. */
export async function registryGet(
  registry: Pick<TestRegistry, 'url' | 'auth'>,
  path: string,
  accept?: string
): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const headers: Record<string, string> = {};
  if (accept) headers.accept = accept;
  if (registry.auth) {
    headers.authorization = `Basic ${Buffer.from(`${registry.auth.username}:${registry.auth.password}`).toString('base64')}`;
  }
  const response = await fetch(registry.url + path, { headers });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, text, json };
}

const MANIFEST_TYPES =
  'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

/** Tags of `path`, its manifest for `tag`, and the labels of that manifest's config blob. */
export async function readBack(
  registry: Pick<TestRegistry, 'url' | 'auth'>,
  path: string,
  tag: string
): Promise<{
  tags: string[];
  manifestType: string | null;
  labels: Record<string, string> | null;
}> {
  const tags = await registryGet(registry, `/v2/${path}/tags/list`);
  const manifest = await registryGet(
    registry,
    `/v2/${path}/manifests/${tag}`,
    MANIFEST_TYPES
  );
  if (manifest.status !== 200) {
    return { tags: tags.json?.tags ?? [], manifestType: null, labels: null };
  }
  const config = await registryGet(
    registry,
    `/v2/${path}/blobs/${manifest.json.config.digest}`
  );
  return {
    tags: tags.json?.tags ?? [],
    manifestType: manifest.headers.get('content-type'),
    labels: config.json?.config?.Labels ?? null
  };
}

/**
 * A TCP proxy on 127.0.0.1 to a registry. Once armed, the first blob upload request
 * (`POST /v2/…/blobs/uploads/`) is held back and `onUpload` runs; `close` then drops every
 * connection and stops listening, so the engine finds nothing there any more.
 */
export class GatedProxy {
  port = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private armed = false;
  private seen: (() => void) | null = null;
  /** Resolves when an upload was held. */
  readonly uploadSeen: Promise<void>;

  constructor(private readonly targetPort: number) {
    this.uploadSeen = new Promise(resolve => (this.seen = resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  arm(): void {
    this.armed = true;
  }

  async start(): Promise<this> {
    this.server = createServer(client => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      let held = false;
      client.on('data', (chunk: Buffer) => {
        if (held) return;
        if (
          this.armed &&
          /^POST \/v2\/\S+\/blobs\/uploads\//m.test(chunk.toString('latin1'))
        ) {
          held = true;
          this.seen?.();
          return;
        }
        upstream.write(chunk);
      });
      upstream.on('data', chunk => client.write(chunk));
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  close(): void {
    this.server?.close();
    this.server = null;
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.sockets.clear();
  }
}
