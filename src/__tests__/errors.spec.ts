import { nullTranslator } from '@jupyterlab/translation';
import {
  ACCESS_SCOPE,
  errorFromNetworkFailure,
  errorFromResponse,
  errorFromStatus,
  parseErrorBody,
  scopeConfigHint
} from '../errors';
import { CODE_WORDS } from '../errorWords';

const trans = nullTranslator.load('jupyterlab_repo2docker');
const url = 'https://hub.example.org/services/repo2docker/';

describe('parseErrorBody', () => {
  it("reads the service's error body", () => {
    expect(
      parseErrorBody(
        JSON.stringify({
          error: { code: 'invalid_field', message: 'bad', field: 'name' }
        })
      )
    ).toEqual({ code: 'invalid_field', message: 'bad', field: 'name' });
  });

  it('refuses anything else', () => {
    expect(parseErrorBody('<html>502 Bad Gateway</html>')).toBeNull();
    expect(parseErrorBody('')).toBeNull();
    expect(parseErrorBody('null')).toBeNull();
    expect(
      parseErrorBody(JSON.stringify({ message: 'tornado error' }))
    ).toBeNull();
    expect(
      parseErrorBody(JSON.stringify({ error: { code: 1, message: 'x' } }))
    ).toBeNull();
  });
});

describe('errorFromStatus', () => {
  it('keeps the field of a 400', () => {
    const error = errorFromStatus(
      400,
      {
        code: 'invalid_field',
        message: 'name must match [a-z0-9]…',
        field: 'name'
      },
      url,
      trans
    );
    expect(error).toMatchObject({
      kind: 'invalid',
      field: 'name',
      status: 400
    });
    expect(error.message).toBe('name must match [a-z0-9]…');
  });

  it('says to reload JupyterLab on a 401, JSON or not', () => {
    for (const body of [{ code: 'unauthorized', message: 'expired' }, null]) {
      const error = errorFromStatus(401, body, url, trans);
      expect(error.kind).toBe('unauthorized');
      expect(error.message).toBe(
        'Your session token expired: reload JupyterLab.'
      );
    }
  });

  it('names the missing scope and how to grant it', () => {
    const error = errorFromStatus(
      403,
      {
        code: 'missing_scope',
        message: 'forbidden',
        scope: 'custom:repo2docker:build'
      },
      url,
      trans
    );
    expect(error.kind).toBe('missing_scope');
    expect(error.scope).toBe('custom:repo2docker:build');
    expect(error.message).toBe(
      'Your token lacks the scope custom:repo2docker:build.'
    );
    expect(error.diagnosis).toContain('c.JupyterHub.custom_scopes');
    expect(error.diagnosis).toContain('c.Spawner.oauth_client_allowed_scopes');
  });

  it('treats a non-JSON 404 as the service not being there', () => {
    const error = errorFromStatus(404, null, url, trans);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(
      `The repo2docker service cannot be reached at ${url}.`
    );
    expect(error.diagnosis).toContain('HTTP 404');
  });

  it('explains a 503 as the Docker engine being unreachable', () => {
    const error = errorFromStatus(
      503,
      {
        code: 'docker_unavailable',
        message: 'connect ENOENT /var/run/docker.sock'
      },
      url,
      trans
    );
    expect(error.kind).toBe('engine_unavailable');
    expect(error.message).toContain('Docker engine');
  });
});

describe('errorFromResponse and errorFromNetworkFailure', () => {
  it('reads a non-JSON body without failing', async () => {
    const error = await errorFromResponse(
      new Response('Internal Server Error', { status: 500 }),
      url,
      trans
    );
    expect(error.kind).toBe('server');
    expect(error.message).toContain('HTTP 500');
  });

  it('says where the service cannot be reached', () => {
    const cause = new TypeError('Failed to fetch');
    const error = errorFromNetworkFailure(cause, url, trans);
    expect(error.kind).toBe('unreachable');
    expect(error.status).toBeNull();
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      `The repo2docker service cannot be reached at ${url}.`
    );
  });
});

describe('scopeConfigHint', () => {
  it('points at roles and oauth_client_allowed_scopes for the access scope', () => {
    const hint = scopeConfigHint(ACCESS_SCOPE, trans);
    expect(hint).toContain('access:services!service=repo2docker');
    expect(hint).toContain('c.JupyterHub.load_roles');
    expect(hint).toContain('c.Spawner.oauth_client_allowed_scopes');
  });
});

describe('errorFromStatus by code', () => {
  const said = (code: string) => `the service says ${code}`;

  it("says the hub's 503 is the hub, not the Docker engine", () => {
    const hub = errorFromStatus(
      503,
      { code: 'hub_unreachable', message: said('hub') },
      url,
      trans
    );
    expect(hub.kind).toBe('hub_unavailable');
    expect(hub.message).toBe(
      'The repo2docker service cannot reach JupyterHub to check who you are.'
    );
    expect(`${hub.message} ${hub.diagnosis}`).not.toMatch(/Docker/);
    const engine = errorFromStatus(
      503,
      { code: 'docker_unreachable', message: said('d') },
      url,
      trans
    );
    expect(engine.kind).toBe('engine_unavailable');
    expect(engine.message).toContain('Docker engine');
    const stopping = errorFromStatus(
      503,
      { code: 'service_stopping', message: said('s') },
      url,
      trans
    );
    expect(stopping.kind).toBe('server');
    expect(stopping.message).toBe(
      'The repo2docker service is stopping or restarting.'
    );
  });

  it('gives every code of the contract words of its own', () => {
    const codes = Object.keys(CODE_WORDS);
    expect(codes).toEqual(
      expect.arrayContaining([
        'hub_unreachable',
        'docker_unreachable',
        'too_many_streams'
      ])
    );
    const words = new Map<string, string>();
    for (const code of codes) {
      // No message from the service: the words are the extension's own.
      const error = errorFromStatus(500, { code, message: '' }, url, trans);
      expect(error.code).toBe(code);
      expect(error.message).not.toBe('');
      words.set(code, `${error.kind}|${error.message}|${error.diagnosis}`);
    }
    // Codes that mean different things read differently, even under one status.
    const distinct = (...group: string[]) =>
      expect(new Set(group.map(code => words.get(code))).size).toBe(
        group.length
      );
    distinct('hub_unreachable', 'docker_unreachable', 'service_stopping');
    distinct('too_many_builds', 'too_many_failures', 'too_many_streams');
    distinct(
      'registry_error',
      'registry_unauthorized',
      'registry_unreachable',
      'oauth_reply'
    );
    distinct('forbidden', 'missing_scope', 'xsrf');
    distinct('not_found', 'log_expired');
    distinct('image_in_use', 'registry_delete_unsupported');
  });

  it('falls back to words by status for a code it does not know', () => {
    const error = errorFromStatus(
      429,
      { code: 'brand_new', message: 'slow down' },
      url,
      trans
    );
    expect(error).toMatchObject({
      kind: 'rate_limited',
      code: 'brand_new',
      message: 'slow down'
    });
  });
});
