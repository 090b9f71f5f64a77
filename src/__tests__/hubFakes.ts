/**
 * A fake JupyterHub REST API at the `fetch` boundary, for the launch tests: it keeps the user's
 * servers, answers start, list, progress and stop as JupyterHub 6 does, and records every request.
 */

import type { IPageConfig } from '../client';

// jsdom has no ReadableStream global; Node's fetch Response brings its own.
const NodeReadableStream = (new Response('').body as any)
  .constructor as typeof ReadableStream;

export interface IRecordedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
}

export interface IFakeServer {
  name: string;
  ready: boolean;
  pending: string | null;
  url: string;
  user_options: Record<string, unknown>;
}

/** Page config of alice's JupyterLab under a hub at `/hub/`. */
export function hubPageConfig(
  options: Record<string, string> = {}
): IPageConfig {
  const values: Record<string, string> = {
    hubPrefix: '/hub/',
    hubHost: '',
    hubUser: 'alice',
    ...options
  };
  return {
    getOption: (name: string) => values[name] ?? '',
    getBaseUrl: () => 'http://localhost/user/alice/',
    getToken: () => 'page-token'
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=UTF-8' }
  });
}

/** An event stream of `events` (each one JSON `data:`), split into chunks of `chunk` bytes. */
export function eventStream(events: unknown[], chunk = 7): Response {
  const text = events
    .map(event => `data: ${JSON.stringify(event)}\n\n\n\n`)
    .join('');
  const bytes = new TextEncoder().encode(text);
  const stream = new NodeReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += chunk) {
        controller.enqueue(bytes.slice(i, i + chunk));
      }
      controller.close();
    }
  });
  return new Response(stream as any, {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream' }
  });
}

export class FakeHub {
  requests: IRecordedRequest[] = [];
  servers = new Map<string, IFakeServer>();
  /** The token's scopes as `GET api/user` lists them (`null`: the hub does not list them). */
  scopes: string[] | null = [
    'access:servers!server=alice/',
    'start:servers!user=alice',
    'read:servers!user=alice',
    'delete:servers!user=alice'
  ];
  namedServers = true;
  /** Scopes refused with 403 (as the hub's `needs_scope` does). */
  refuse = new Set<string>();
  /** Answer a start with this 400 message instead of starting. */
  startRefusal: string | null = null;
  /** The progress events of a start (ready is appended unless `failStart`). */
  progress: unknown[] = [
    { progress: 10, message: 'Spawning server...' },
    { progress: 50, message: 'Pulling image r2d-alice/analysis' }
  ];
  failStart: string | null = null;

  fetch = jest.fn(async (url: string, init: RequestInit = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    const body =
      typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    this.requests.push({
      method,
      url,
      headers: new Headers(init.headers),
      body
    });
    return this._answer(method, new URL(url, 'http://localhost'), body);
  });

  private _needs(scope: string): Response | null {
    if (this.refuse.has(scope)) {
      return json(403, {
        status: 403,
        message: `Action is not authorized with current scopes; requires any of [${scope}]`
      });
    }
    return null;
  }

  private _answer(method: string, url: URL, body: any): Response {
    const path = url.pathname;
    if (path === '/hub/api/user') {
      return json(200, { name: 'alice', scopes: this.scopes ?? undefined });
    }
    if (path === '/hub/api/users/alice' && method === 'GET') {
      const refused = this.refuse.has('read:servers');
      const servers: Record<string, IFakeServer> = {};
      for (const [name, server] of this.servers) {
        servers[name] = server;
      }
      return json(
        200,
        refused ? { name: 'alice' } : { name: 'alice', servers }
      );
    }
    const match =
      /^\/hub\/api\/users\/alice\/servers\/([^/]+)(\/progress)?$/.exec(path);
    if (!match) {
      return json(404, { status: 404, message: 'Not Found' });
    }
    const name = decodeURIComponent(match[1]);
    if (match[2]) {
      const refused = this._needs('read:servers');
      if (refused) {
        return refused;
      }
      const server = this.servers.get(name);
      if (!server) {
        return json(404, { status: 404, message: 'Not Found' });
      }
      if (this.failStart) {
        this.servers.delete(name);
        return eventStream([
          ...this.progress,
          {
            progress: 100,
            failed: true,
            message: `Spawn failed: ${this.failStart}`
          }
        ]);
      }
      server.ready = true;
      server.pending = null;
      return eventStream([
        ...this.progress,
        {
          progress: 100,
          ready: true,
          message: `Server ready at ${server.url}`,
          url: server.url
        }
      ]);
    }
    if (method === 'POST') {
      const refused = this._needs('start:servers');
      if (refused) {
        return refused;
      }
      if (!this.namedServers) {
        return json(400, {
          status: 400,
          message: 'Named servers are not enabled.'
        });
      }
      if (this.startRefusal) {
        return json(400, { status: 400, message: this.startRefusal });
      }
      if (this.servers.has(name)) {
        return json(400, {
          status: 400,
          message: `alice:${name} is already running`
        });
      }
      this.servers.set(name, {
        name,
        ready: false,
        pending: 'spawn',
        url: `/user/alice/${name}/`,
        user_options: body?.user_options ?? {}
      });
      return new Response(null, { status: 202 });
    }
    if (method === 'DELETE') {
      const refused = this._needs('delete:servers');
      if (refused) {
        return refused;
      }
      if (!this.servers.delete(name)) {
        return json(404, {
          status: 404,
          message: `alice has no server named '${name}'`
        });
      }
      return new Response(null, { status: 204 });
    }
    return json(405, { status: 405, message: 'Method Not Allowed' });
  }
}
