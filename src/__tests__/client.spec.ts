import { ServerConnection } from '@jupyterlab/services';
import {
  hubServiceUrl,
  IPageConfig,
  Repo2DockerClient,
  resolveServiceLocation
} from '../client';
import { ServiceError } from '../errors';

function pageConfig(
  options: Record<string, string>,
  baseUrl = 'http://localhost:8888/',
  token = 'tok'
): IPageConfig {
  return {
    getOption: (name: string) => options[name] ?? '',
    getBaseUrl: () => baseUrl,
    getToken: () => token
  };
}

const hub = pageConfig(
  { hubPrefix: '/hub/', hubUser: 'alice', hubHost: '' },
  'http://hub.example.org/user/alice/',
  'hub-oauth-token'
);

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

type FetchMock = jest.Mock<Promise<Response>, [string, RequestInit]>;

function mockFetch(
  impl: (url: string, init: RequestInit) => Promise<Response> = async () =>
    jsonResponse({})
): FetchMock {
  return jest.fn<Promise<Response>, [string, RequestInit]>(impl);
}

describe('resolveServiceLocation', () => {
  it('finds the hub service under /hub/', () => {
    expect(resolveServiceLocation({ pageConfig: hub })).toEqual({
      baseUrl: '/services/repo2docker/',
      transport: 'hub'
    });
  });

  it('finds the hub service under a base URL (/base/hub/)', () => {
    const config = pageConfig({ hubPrefix: '/base/hub/', hubUser: 'alice' });
    expect(resolveServiceLocation({ pageConfig: config })).toEqual({
      baseUrl: '/base/services/repo2docker/',
      transport: 'hub'
    });
  });

  it("puts the service on its own host with subdomain_host (JupyterHub's idna hook)", () => {
    const config = pageConfig({
      hubPrefix: '/base/hub/',
      hubUser: 'alice',
      hubHost: 'https://example.org:8443'
    });
    expect(resolveServiceLocation({ pageConfig: config })).toEqual({
      baseUrl:
        'https://repo2docker--service.example.org:8443/base/services/repo2docker/',
      transport: 'hub'
    });
    expect(hubServiceUrl('/hub/', 'https://example.org')).toBe(
      'https://repo2docker--service.example.org/services/repo2docker/'
    );
  });

  it('uses jupyter-server-proxy without a hub', () => {
    const config = pageConfig({}, 'http://localhost:8888/lab-base/');
    expect(resolveServiceLocation({ pageConfig: config })).toEqual({
      baseUrl: 'http://localhost:8888/lab-base/repo2docker/',
      transport: 'server'
    });
  });

  it('lets the serviceUrl setting override everything', () => {
    expect(
      resolveServiceLocation({
        serviceUrl: 'https://r2d.example.org/api-root',
        pageConfig: hub
      })
    ).toEqual({
      baseUrl: 'https://r2d.example.org/api-root/',
      transport: 'hub'
    });

    const standalone = pageConfig({}, 'http://localhost:8888/');
    expect(
      resolveServiceLocation({
        serviceUrl: '/other-proxy/',
        pageConfig: standalone
      })
    ).toEqual({
      baseUrl: 'http://localhost:8888/other-proxy/',
      transport: 'server'
    });
    expect(
      resolveServiceLocation({
        serviceUrl: 'http://127.0.0.1:9000',
        pageConfig: standalone
      })
    ).toEqual({ baseUrl: 'http://127.0.0.1:9000/', transport: 'fetch' });
    // Blank means "not set".
    expect(
      resolveServiceLocation({ serviceUrl: '  ', pageConfig: standalone })
        .baseUrl
    ).toBe('http://localhost:8888/repo2docker/');
  });
});

describe('Repo2DockerClient', () => {
  it('sends the hub token with every call under JupyterHub', async () => {
    const fetchMock = mockFetch(async () => jsonResponse({ builds: [] }));
    const client = new Repo2DockerClient({ pageConfig: hub, fetch: fetchMock });
    await expect(client.listBuilds()).resolves.toEqual([]);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/services/repo2docker/api/builds');
    expect(new Headers(init.headers).get('Authorization')).toBe(
      'token hub-oauth-token'
    );
  });

  it('posts a build request as JSON', async () => {
    const fetchMock = mockFetch(async () => jsonResponse({ id: 'b1' }, 202));
    const client = new Repo2DockerClient({ pageConfig: hub, fetch: fetchMock });
    await client.startBuild({ repo: 'https://github.com/a/b', ref: 'main' });
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/services/repo2docker/api/builds');
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body as string)).toEqual({
      repo: 'https://github.com/a/b',
      ref: 'main'
    });
    expect(new Headers(init.headers).get('Content-Type')).toBe(
      'application/json'
    );
  });

  it('encodes image names and filters', async () => {
    const fetchMock = mockFetch(async (url: string) =>
      url.includes('images?')
        ? jsonResponse({ images: [] })
        : new Response(null, { status: 204 })
    );
    const client = new Repo2DockerClient({ pageConfig: hub, fetch: fetchMock });
    await client.deleteImage('r2d-alice/my-repo:abc123');
    expect(fetchMock.mock.calls[0][0]).toBe(
      '/services/repo2docker/api/images/r2d-alice%2Fmy-repo%3Aabc123'
    );
    expect(fetchMock.mock.calls[0][1].method).toBe('DELETE');
    await client.listImages({
      repo: 'https://github.com/a/b',
      commit: 'abc',
      owner: ''
    });
    expect(fetchMock.mock.calls[1][0]).toBe(
      '/services/repo2docker/api/images?repo=https%3A%2F%2Fgithub.com%2Fa%2Fb&commit=abc'
    );
  });

  it('asks for the image list again with If-None-Match and keeps its copy on 304', async () => {
    const images = [{ name: 'r2d-alice/a:1' }, { name: 'r2d-alice/b:2' }];
    let etag = 'W/"1-abc"';
    const fetchMock = mockFetch(async (_url: string, init: RequestInit) =>
      new Headers(init.headers).get('If-None-Match') === etag
        ? new Response(null, { status: 304, headers: { ETag: etag } })
        : new Response(JSON.stringify({ images }), {
            status: 200,
            headers: { 'Content-Type': 'application/json', ETag: etag }
          })
    );
    const client = new Repo2DockerClient({ pageConfig: hub, fetch: fetchMock });
    await expect(client.listImages()).resolves.toEqual(images);
    expect(
      new Headers(fetchMock.mock.calls[0][1].headers).get('If-None-Match')
    ).toBeNull();
    await expect(client.listImages()).resolves.toEqual(images);
    expect(
      new Headers(fetchMock.mock.calls[1][1].headers).get('If-None-Match')
    ).toBe('W/"1-abc"');
    // The list changed: a new ETag and the new list.
    etag = 'W/"2-def"';
    images.pop();
    await expect(client.listImages()).resolves.toEqual(images);
    expect(fetchMock.mock.calls).toHaveLength(3);
    // Another filter is another URL: asked without the first one's ETag.
    await client.listImages({ owner: 'alice' });
    expect(
      new Headers(fetchMock.mock.calls[3][1].headers).get('If-None-Match')
    ).toBeNull();
  });

  it('asks for one page of images by limit, offset, q and owner, again with If-None-Match', async () => {
    const page = {
      images: [{ name: 'r2d-alice/a:1' }],
      total: 7,
      offset: 0,
      limit: 50
    };
    const fetchMock = mockFetch(async (url: string, init: RequestInit) =>
      new Headers(init.headers).get('If-None-Match') === `"${url}"`
        ? new Response(null, { status: 304 })
        : new Response(JSON.stringify(page), {
            status: 200,
            headers: { 'Content-Type': 'application/json', ETag: `"${url}"` }
          })
    );
    const client = new Repo2DockerClient({ pageConfig: hub, fetch: fetchMock });
    await expect(
      client.listImagePage({ limit: 50, q: ' course notes ', owner: 'al ice' })
    ).resolves.toEqual(page);
    expect(fetchMock.mock.calls[0][0]).toBe(
      '/services/repo2docker/api/images?limit=50&q=course%20notes&owner=al%20ice'
    );
    // The poll asks for the same page: answered from the copy on 304.
    await expect(
      client.listImagePage({ limit: 50, q: ' course notes ', owner: 'al ice' })
    ).resolves.toEqual(page);
    expect(fetchMock.mock.results).toHaveLength(2);
    expect((await fetchMock.mock.results[1].value).status).toBe(304);
    // No limit and no offset would be the whole list without `total`: offset=0 asks for a page.
    await client.listImagePage({ q: 'x' });
    expect(fetchMock.mock.calls[2][0]).toBe(
      '/services/repo2docker/api/images?q=x&offset=0'
    );
    // Every filter text typed is a URL; only the ones used last are kept.
    for (let i = 0; i < 20; i++) {
      await client.listImagePage({ limit: 50, q: `t${i}` });
    }
    fetchMock.mockClear();
    await client.listImagePage({
      limit: 50,
      q: ' course notes ',
      owner: 'al ice'
    });
    expect(
      new Headers(fetchMock.mock.calls[0][1].headers).get('If-None-Match')
    ).toBeNull();
    await client.listImagePage({ limit: 50, q: 't19' });
    expect(
      new Headers(fetchMock.mock.calls[1][1].headers).get('If-None-Match')
    ).toBe('"/services/repo2docker/api/images?limit=50&q=t19"');
  });

  it('opens log streams with Accept exactly text/event-stream and Last-Event-ID', async () => {
    const fetchMock = mockFetch(async () => new Response('', { status: 404 }));
    const client = new Repo2DockerClient({ pageConfig: hub, fetch: fetchMock });
    const opened: string[] = [];
    client.logStreamOpened.connect((_, id) => opened.push(id));
    const controller = new AbortController();

    const response = await client.openLogStream('b1', 42, controller.signal);
    expect(response.status).toBe(404); // resolved whatever the status
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/services/repo2docker/api/builds/b1/logs');
    const headers = new Headers(init.headers);
    expect(headers.get('Accept')).toBe('text/event-stream');
    expect(headers.get('Last-Event-ID')).toBe('42');
    expect(headers.get('Authorization')).toBe('token hub-oauth-token');
    expect(init.signal).toBe(controller.signal);

    await client.openLogStream('b1', null, controller.signal);
    expect(
      new Headers(fetchMock.mock.calls[1][1].headers).has('Last-Event-ID')
    ).toBe(false);
    expect(opened).toEqual(['b1', 'b1']);
  });

  it('rejects an aborted log stream as an abort', async () => {
    const controller = new AbortController();
    const fetchMock = mockFetch(async () => {
      controller.abort();
      throw new TypeError('Failed to fetch');
    });
    const client = new Repo2DockerClient({ pageConfig: hub, fetch: fetchMock });
    await expect(
      client.openLogStream('b1', null, controller.signal)
    ).rejects.toMatchObject({
      name: 'AbortError'
    });
  });

  it("goes through the Jupyter server's connection without a hub", async () => {
    const serverFetch = jest.fn(async (_request: Request) =>
      jsonResponse({ images: [] })
    );
    const serverSettings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/',
      token: 'server-token',
      fetch: serverFetch as unknown as typeof fetch
    });
    const globalFetch = mockFetch();
    const client = new Repo2DockerClient({
      pageConfig: pageConfig({}, 'http://localhost:8888/'),
      fetch: globalFetch,
      serverSettings
    });
    expect(client.location.transport).toBe('server');
    await client.listImages();
    expect(globalFetch).not.toHaveBeenCalled();
    const request = serverFetch.mock.calls[0][0];
    expect(request.url).toBe('http://localhost:8888/repo2docker/api/images');
    expect(request.headers.get('Authorization')).toBe('token server-token');
  });

  it('sends no content type on a DELETE without a body through the server connection (cancel, delete)', async () => {
    const serverFetch = jest.fn(async (request: Request) =>
      request.method === 'DELETE' && request.url.includes('/images/')
        ? new Response(null, { status: 204 })
        : jsonResponse({ id: 'b1', phase: 'cancelled' })
    );
    const serverSettings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/',
      token: 'server-token',
      fetch: serverFetch as unknown as typeof fetch
    });
    const client = new Repo2DockerClient({
      pageConfig: pageConfig({}, 'http://localhost:8888/'),
      fetch: mockFetch(),
      serverSettings
    });
    await client.cancelBuild('b1');
    await client.deleteImage('r2d-alice/x:1');
    await client.startBuild({ repo: 'https://example.org/r' });
    const [cancel, remove, post] = serverFetch.mock.calls.map(call => call[0]);
    expect(cancel.method).toBe('DELETE');
    expect(cancel.headers.get('Content-Type')).toBeNull();
    expect(cancel.headers.get('Authorization')).toBe('token server-token');
    expect(remove.method).toBe('DELETE');
    expect(remove.headers.get('Content-Type')).toBeNull();
    // A request with a body keeps its JSON content type.
    expect(post.method).toBe('POST');
    expect(post.headers.get('Content-Type')).toBe('application/json');
  });

  it('switches location when the serviceUrl setting changes', () => {
    const client = new Repo2DockerClient({
      pageConfig: hub,
      fetch: mockFetch()
    });
    const changes: string[] = [];
    client.locationChanged.connect((_, location) =>
      changes.push(location.baseUrl)
    );
    client.serviceUrl = 'https://elsewhere.example.org/r2d/';
    expect(client.location.baseUrl).toBe('https://elsewhere.example.org/r2d/');
    client.serviceUrl = '';
    expect(client.location.baseUrl).toBe('/services/repo2docker/');
    expect(changes).toEqual([
      'https://elsewhere.example.org/r2d/',
      '/services/repo2docker/'
    ]);
  });

  it('takes the service name from the serviceName setting, else the page config, else repo2docker', async () => {
    const fetch = mockFetch(async () => jsonResponse({ builds: [] }));
    const named = pageConfig({
      hubPrefix: '/hub/',
      repo2dockerServiceName: 'builder'
    });
    const client = new Repo2DockerClient({ pageConfig: named, fetch });
    expect(client.serviceName).toBe('builder');
    expect(client.location.baseUrl).toBe('/services/builder/');
    const changes: string[] = [];
    client.locationChanged.connect((_, location) =>
      changes.push(location.baseUrl)
    );
    client.serviceName = 'r2d';
    expect(client.location.baseUrl).toBe('/services/r2d/');
    await client.listBuilds();
    expect(fetch.mock.calls[0][0]).toBe('/services/r2d/api/builds');
    // Unset: the page config's name again.
    client.serviceName = null;
    expect(client.location.baseUrl).toBe('/services/builder/');
    expect(changes).toEqual(['/services/r2d/', '/services/builder/']);

    const standalone = new Repo2DockerClient({
      pageConfig: pageConfig({}, 'http://localhost:8888/'),
      serviceName: 'r2d',
      fetch
    });
    expect(standalone.location.baseUrl).toBe('http://localhost:8888/r2d/');
    expect(
      new Repo2DockerClient({ pageConfig: hub, fetch }).location.baseUrl
    ).toBe('/services/repo2docker/');
  });

  it("names the configured service's access scope when the hub refuses access", async () => {
    const client = new Repo2DockerClient({
      pageConfig: hub,
      serviceName: 'builder',
      fetch: mockFetch(
        async () => new Response('<html>403: Forbidden</html>', { status: 403 })
      )
    });
    const error = (await client
      .getInfo()
      .catch(reason => reason)) as ServiceError;
    expect(error.kind).toBe('forbidden');
    expect(error.diagnosis).toContain('access:services!service=builder');
  });

  describe('errors', () => {
    function clientAnswering(response: () => Response | Promise<Response>) {
      return new Repo2DockerClient({
        pageConfig: hub,
        fetch: mockFetch(async () => response())
      });
    }

    it('maps a 400 naming a field', async () => {
      const client = clientAnswering(() =>
        jsonResponse(
          {
            error: {
              code: 'invalid_field',
              message: 'ref must not start with "-"',
              field: 'ref'
            }
          },
          400
        )
      );
      const error = await client
        .startBuild({ repo: 'https://x/y', ref: '-x' })
        .catch(e => e);
      expect(error).toBeInstanceOf(ServiceError);
      expect(error).toMatchObject({
        kind: 'invalid',
        status: 400,
        field: 'ref',
        code: 'invalid_field',
        message: 'ref must not start with "-"'
      });
    });

    it('maps a 401 to "reload JupyterLab"', async () => {
      const client = clientAnswering(() =>
        jsonResponse(
          { error: { code: 'unauthorized', message: 'bad token' } },
          401
        )
      );
      const error: ServiceError = await client.getInfo().catch(e => e);
      expect(error.kind).toBe('unauthorized');
      expect(error.message).toMatch(/reload JupyterLab/);
    });

    it('maps a 403 missing_scope with its scope and a config hint', async () => {
      const client = clientAnswering(() =>
        jsonResponse(
          {
            error: {
              code: 'missing_scope',
              message: 'missing scope',
              scope: 'access:services!service=repo2docker'
            }
          },
          403
        )
      );
      const error: ServiceError = await client.getInfo().catch(e => e);
      expect(error.kind).toBe('missing_scope');
      expect(error.scope).toBe('access:services!service=repo2docker');
      expect(error.message).toContain('access:services!service=repo2docker');
      expect(error.diagnosis).toContain('oauth_client_allowed_scopes');
    });

    it('maps a 403 from another owner to forbidden', async () => {
      const client = clientAnswering(() =>
        jsonResponse(
          { error: { code: 'not_owner', message: 'not yours' } },
          403
        )
      );
      const error: ServiceError = await client.cancelBuild('b1').catch(e => e);
      expect(error.kind).toBe('forbidden');
      expect(error.message).toBe('not yours');
    });

    it('maps a JSON 404 to not_found', async () => {
      const client = clientAnswering(() =>
        jsonResponse(
          { error: { code: 'not_found', message: 'no such build' } },
          404
        )
      );
      const error: ServiceError = await client.getBuild('nope').catch(e => e);
      expect(error.kind).toBe('not_found');
      expect(error.status).toBe(404);
      expect(error.message).toBe('no such build');
    });

    it('maps a network failure to "cannot be reached at <url>"', async () => {
      const client = new Repo2DockerClient({
        pageConfig: hub,
        fetch: mockFetch(async () => {
          throw new TypeError('Failed to fetch');
        })
      });
      const error: ServiceError = await client.getInfo().catch(e => e);
      expect(error.kind).toBe('unreachable');
      expect(error.status).toBeNull();
      expect(error.message).toBe(
        'The repo2docker service cannot be reached at http://localhost/services/repo2docker/.'
      );
    });

    it('maps a non-JSON error body (a proxy answering) to unreachable or unexpected', async () => {
      const html = () =>
        new Response('<html><body>Bad Gateway</body></html>', {
          status: 502,
          headers: { 'Content-Type': 'text/html' }
        });
      const unreachable: ServiceError = await clientAnswering(html)
        .getInfo()
        .catch(e => e);
      expect(unreachable.kind).toBe('unreachable');
      expect(unreachable.status).toBe(502);
      expect(unreachable.message).toContain('cannot be reached');

      const teapot: ServiceError = await clientAnswering(
        () => new Response('I am a teapot', { status: 418 })
      )
        .getInfo()
        .catch(e => e);
      expect(teapot.kind).toBe('unexpected');
      expect(teapot.message).toContain('418');
    });

    it('maps 409, 413, 429 and 503', async () => {
      const cases: [number, string][] = [
        [409, 'conflict'],
        [413, 'too_large'],
        [429, 'rate_limited'],
        [503, 'engine_unavailable']
      ];
      for (const [status, kind] of cases) {
        const client = clientAnswering(() =>
          jsonResponse(
            { error: { code: 'x', message: `status ${status}` } },
            status
          )
        );
        const error: ServiceError = await client.listBuilds().catch(e => e);
        expect(error.kind).toBe(kind);
      }
    });

    it('refuses a 200 that is not JSON', async () => {
      const client = clientAnswering(
        () => new Response('<html>login</html>', { status: 200 })
      );
      const error: ServiceError = await client.getInfo().catch(e => e);
      expect(error.kind).toBe('unexpected');
    });
  });
});
