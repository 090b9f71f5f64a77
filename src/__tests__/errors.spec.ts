import { nullTranslator } from '@jupyterlab/translation';
import {
  ACCESS_SCOPE,
  errorFromNetworkFailure,
  errorFromResponse,
  errorFromStatus,
  parseErrorBody,
  scopeConfigHint
} from '../errors';

const trans = nullTranslator.load('jupyterlab_repo2docker');
const url = 'https://hub.example.org/services/repo2docker/';

describe('parseErrorBody', () => {
  it("reads the service's error body", () => {
    expect(
      parseErrorBody(
        JSON.stringify({ error: { code: 'invalid_field', message: 'bad', field: 'name' } })
      )
    ).toEqual({ code: 'invalid_field', message: 'bad', field: 'name' });
  });

  it('refuses anything else', () => {
    expect(parseErrorBody('<html>502 Bad Gateway</html>')).toBeNull();
    expect(parseErrorBody('')).toBeNull();
    expect(parseErrorBody('null')).toBeNull();
    expect(parseErrorBody(JSON.stringify({ message: 'tornado error' }))).toBeNull();
    expect(parseErrorBody(JSON.stringify({ error: { code: 1, message: 'x' } }))).toBeNull();
  });
});

describe('errorFromStatus', () => {
  it('keeps the field of a 400', () => {
    const error = errorFromStatus(
      400,
      { code: 'invalid_field', message: 'name must match [a-z0-9]…', field: 'name' },
      url,
      trans
    );
    expect(error).toMatchObject({ kind: 'invalid', field: 'name', status: 400 });
    expect(error.message).toBe('name must match [a-z0-9]…');
  });

  it('says to reload JupyterLab on a 401, JSON or not', () => {
    for (const body of [{ code: 'unauthorized', message: 'expired' }, null]) {
      const error = errorFromStatus(401, body, url, trans);
      expect(error.kind).toBe('unauthorized');
      expect(error.message).toBe('Your session token expired: reload JupyterLab.');
    }
  });

  it('names the missing scope and how to grant it', () => {
    const error = errorFromStatus(
      403,
      { code: 'missing_scope', message: 'forbidden', scope: 'custom:repo2docker:build' },
      url,
      trans
    );
    expect(error.kind).toBe('missing_scope');
    expect(error.scope).toBe('custom:repo2docker:build');
    expect(error.message).toBe('Your token lacks the scope custom:repo2docker:build.');
    expect(error.diagnosis).toContain('c.JupyterHub.custom_scopes');
    expect(error.diagnosis).toContain('c.Spawner.oauth_client_allowed_scopes');
  });

  it('treats a non-JSON 404 as the service not being there', () => {
    const error = errorFromStatus(404, null, url, trans);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(`The repo2docker service cannot be reached at ${url}.`);
    expect(error.diagnosis).toContain('HTTP 404');
  });

  it('explains a 503 as the Docker engine being unreachable', () => {
    const error = errorFromStatus(
      503,
      { code: 'docker_unavailable', message: 'connect ENOENT /var/run/docker.sock' },
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
    expect(error.message).toBe(`The repo2docker service cannot be reached at ${url}.`);
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
