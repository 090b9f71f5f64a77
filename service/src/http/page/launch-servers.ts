/**
 * The hub REST calls behind the launch link: start a named server in an image for the user and
 * read its spawn progress, always with the USER's own token (the one the service page's OAuth
 * login gave them, or the one they sent), never with the service's: the service is a builder,
 * the hub decides who may start what (the spawner helper re-checks the image). Which scopes the
 * calls need is said in the errors, with the config lines that grant them.
 */
import { ApiError, missingScope } from '../../api/errors.js';

/** The scopes a launch needs in the service's `oauth_client_allowed_scopes` (and the user's roles). */
export const START_SCOPE = 'start:servers!user';
export const READ_SERVERS_SCOPE = 'read:servers!user';

/** JupyterHub 6's server names: safe slugs (a-z first, [a-z0-9-], no `--`, at most 30). */
export const SERVER_NAME = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;
const MAX_SERVER_NAME = 30;
const SUFFIX_LENGTH = 5; // "-" + 4 hex

/**
 * The server's name from the image's: its last path component without the tag, lowercased to
 * `[a-z0-9-]`, starting with a letter; plus `-` and a short random suffix when that name is taken.
 */
export function serverNameFor(
  image: string,
  taken: ReadonlySet<string>,
  random: () => string = () =>
    Math.floor(Math.random() * 0x10000)
      .toString(16)
      .padStart(4, '0')
): string {
  const repository = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  const last = repository.split('/').pop() ?? '';
  let base = last
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, MAX_SERVER_NAME - SUFFIX_LENGTH)
    .replace(/-+$/, '');
  if (base === '') {
    base = 'env';
  }
  if (!taken.has(base)) {
    return base;
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = `${base}-${random()}`;
    if (!taken.has(name)) {
      return name;
    }
  }
  throw new ApiError(
    503,
    'internal',
    'could not find a free server name; stop a server and try again'
  );
}

const scopeHint = (scope: string): string =>
  `JupyterHub refused: the login of this page lacks the scope ${scope}. An administrator adds ` +
  `"${scope}" to the "oauth_client_allowed_scopes" of the repo2docker service in c.JupyterHub.services ` +
  `(and c.JupyterHub.allow_named_servers = True); then open the link again after logging out.`;

export interface HubServer {
  ready: boolean;
  pending: string | null;
  url: string;
}

export class HubServers {
  constructor(
    /** `JUPYTERHUB_API_URL`, e.g. `http://127.0.0.1:8081/hub/api`. */
    private readonly apiUrl: string,
    private readonly timeoutMs = 15_000
  ) {}

  private async call(
    token: string,
    method: string,
    path: string,
    body?: unknown,
    accept = 'application/json',
    signal?: AbortSignal
  ): Promise<Response> {
    try {
      return await fetch(`${this.apiUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: {
          Authorization: `token ${token}`,
          Accept: accept,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ?? AbortSignal.timeout(this.timeoutMs)
      });
    } catch {
      throw new ApiError(
        503,
        'hub_unreachable',
        'JupyterHub does not answer; try again later'
      );
    }
  }

  /** The user's servers that are running or starting, by name (needs read:servers). */
  async servers(
    token: string,
    user: string
  ): Promise<Record<string, HubServer>> {
    const response = await this.call(
      token,
      'GET',
      `/users/${encodeURIComponent(user)}`
    );
    if (response.status === 403 || response.status === 404) {
      throw missingScope(READ_SERVERS_SCOPE, scopeHint(READ_SERVERS_SCOPE));
    }
    if (!response.ok) {
      throw hubError(response.status, await hubMessage(response));
    }
    const model = (await response.json()) as {
      servers?: Record<string, HubServer>;
    };
    if (model.servers === undefined) {
      // The hub leaves `servers` out of the model for a token without read:servers.
      throw missingScope(READ_SERVERS_SCOPE, scopeHint(READ_SERVERS_SCOPE));
    }
    return model.servers;
  }

  /** Ask the hub to start `server` in `image`; the hub's spawner decides whether it may. */
  async start(
    token: string,
    user: string,
    server: string,
    image: string,
    displayName: string
  ): Promise<void> {
    const response = await this.call(
      token,
      'POST',
      `/users/${encodeURIComponent(user)}/servers/${encodeURIComponent(server)}`,
      { user_options: { image }, display_name: displayName.slice(0, 255) }
    );
    if (response.status === 201 || response.status === 202) {
      return;
    }
    const message = await hubMessage(response);
    if (response.status === 403) {
      throw missingScope(START_SCOPE, scopeHint(START_SCOPE));
    }
    if (response.status === 404 && /named servers/i.test(message)) {
      throw new ApiError(
        403,
        'forbidden',
        'this hub does not allow named servers: an administrator sets c.JupyterHub.allow_named_servers = True'
      );
    }
    throw hubError(response.status, message);
  }

  /** The hub's progress event stream of `server` (the caller pipes it on). */
  async progress(
    token: string,
    user: string,
    server: string,
    signal: AbortSignal
  ): Promise<Response> {
    const response = await this.call(
      token,
      'GET',
      `/users/${encodeURIComponent(user)}/servers/${encodeURIComponent(server)}/progress`,
      undefined,
      'text/event-stream',
      signal
    );
    if (response.status === 403) {
      throw missingScope(READ_SERVERS_SCOPE, scopeHint(READ_SERVERS_SCOPE));
    }
    if (!response.ok || !response.body) {
      throw hubError(response.status, await hubMessage(response));
    }
    return response;
  }
}

/** The hub's own words (its JSON `message`), cut short; never a header or a token. */
async function hubMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') {
      return parsed.message.slice(0, 500);
    }
  } catch {
    // not JSON
  }
  return (
    text
      .replace(/<[^>]*>/g, ' ')
      .trim()
      .slice(0, 200) || response.statusText
  );
}

function hubError(status: number, message: string): ApiError {
  if (status === 400) {
    // E.g. DockerSpawner's "Image X not in allowed list": the image the launch asked for.
    return new ApiError(
      400,
      'invalid_field',
      `JupyterHub refused: ${message}`,
      {
        field: 'image'
      }
    );
  }
  if (status === 404) {
    return new ApiError(404, 'not_found', `JupyterHub: ${message}`);
  }
  if (status === 401) {
    return new ApiError(
      401,
      'unauthenticated',
      'JupyterHub does not accept your login any more; open the link again'
    );
  }
  // 429 (the hub's concurrent spawn limit) included: come back later.
  return new ApiError(
    503,
    'hub_unreachable',
    `JupyterHub answered ${status}: ${message}`
  );
}
