import { nullTranslator } from '@jupyterlab/translation';
import { dockerRunArgv, dockerRunCommand, shellQuote } from '../hub/dockerRun';
import {
  HubClient,
  HubError,
  holdsScope,
  missingServerScopes,
  scopeFromMessage
} from '../hub/hubApi';
import {
  CONFIG_SCOPES,
  NAMED_SERVERS_LINE,
  scopesConfigLine
} from '../hub/hubWords';
import {
  imageBaseName,
  isValidServerName,
  MAX_SERVER_NAME,
  serverNameFor,
  slugify
} from '../hub/serverName';
import {
  parseSpawnEvent,
  readSpawnProgress,
  SpawnStreamEnded,
  type ISpawnEvent
} from '../hub/spawnProgress';
import { eventStream, FakeHub, hubPageConfig } from './hubFakes';

describe('server names', () => {
  it('takes the readable part of the image name', () => {
    expect(imageBaseName('r2d-alice/analysis:0123456789ab')).toBe('analysis');
    expect(imageBaseName('registry:5000/r2d-alice/my_Repo:abc')).toBe(
      'my_Repo'
    );
    expect(imageBaseName('plain')).toBe('plain');
    expect(imageBaseName('r2d-bob/x@sha256:abcd')).toBe('x');
  });

  it('makes a slug the hub accepts', () => {
    expect(slugify('My_Repo.v2')).toBe('my-repo-v2');
    expect(slugify('3d--model')).toBe('env-3d-model');
    expect(slugify('___')).toBe('env');
    const long = slugify('a'.repeat(29) + '-b-c');
    expect(long.length).toBeLessThanOrEqual(MAX_SERVER_NAME);
    expect(isValidServerName(long)).toBe(true);
    expect(long.endsWith('-')).toBe(false);
  });

  it('says which names the hub accepts', () => {
    expect(isValidServerName('analysis')).toBe(true);
    expect(isValidServerName('a-b-2')).toBe(true);
    expect(isValidServerName('2a')).toBe(false);
    expect(isValidServerName('a--b')).toBe(false);
    expect(isValidServerName('a-')).toBe(false);
    expect(isValidServerName('Ab')).toBe(false);
    expect(isValidServerName('a'.repeat(31))).toBe(false);
    expect(isValidServerName('')).toBe(false);
  });

  it('is the plain slug when free, suffixed when taken', () => {
    expect(serverNameFor('r2d-alice/analysis:1', [])).toBe('analysis');
    const random = jest
      .fn<number, []>()
      .mockReturnValueOnce(0) // a
      .mockReturnValueOnce(0.99) // 9
      .mockReturnValueOnce(0.5)
      .mockReturnValueOnce(0.1);
    const name = serverNameFor('r2d-alice/analysis:1', ['analysis'], random);
    expect(name).toMatch(/^analysis-a9[a-z0-9]{2}$/);
    expect(isValidServerName(name)).toBe(true);
  });

  it('stays unique and short for long names, whatever the random source', () => {
    const image = `r2d-alice/${'x'.repeat(60)}:tag`;
    const taken = new Set<string>([serverNameFor(image, [])]);
    for (let i = 0; i < 30; i++) {
      const name = serverNameFor(image, taken, () => 0);
      expect(taken.has(name)).toBe(false);
      expect(isValidServerName(name)).toBe(true);
      taken.add(name);
    }
  });
});

describe('docker run command', () => {
  it('runs JupyterLab in the image on port 8888, local only', () => {
    expect(dockerRunArgv('r2d-alice/analysis:0123')).toEqual([
      'docker',
      'run',
      '--rm',
      '-it',
      '-p',
      '127.0.0.1:8888:8888',
      'r2d-alice/analysis:0123',
      'jupyter',
      'lab',
      '--ip=0.0.0.0',
      '--port=8888'
    ]);
    expect(dockerRunCommand('r2d-alice/analysis:0123')).toBe(
      'docker run --rm -it -p 127.0.0.1:8888:8888 r2d-alice/analysis:0123 jupyter lab --ip=0.0.0.0 --port=8888'
    );
  });

  it('quotes what a shell would read otherwise', () => {
    expect(shellQuote('plain/name:tag')).toBe('plain/name:tag');
    expect(shellQuote("it's $(rm -rf ~)")).toBe(`'it'\\''s $(rm -rf ~)'`);
    expect(shellQuote('')).toBe("''");
    expect(dockerRunCommand('a b')).toContain(" 'a b' ");
  });
});

describe('spawn progress', () => {
  it('parses events and ignores what is not one', () => {
    expect(parseSpawnEvent('{"progress": 50, "message": "half"}')).toEqual({
      progress: 50,
      message: 'half',
      ready: false,
      failed: false,
      url: null
    });
    expect(
      parseSpawnEvent(
        '{"progress": 100, "ready": true, "message": "ok", "url": "/user/alice/x/"}'
      )
    ).toMatchObject({ ready: true, url: '/user/alice/x/' });
    expect(parseSpawnEvent('{"progress": 250}')?.progress).toBe(100);
    expect(parseSpawnEvent('not json')).toBeNull();
    expect(parseSpawnEvent('[1]')).toBeNull();
  });

  it('reads a chunked stream to the ready event', async () => {
    const events: ISpawnEvent[] = [];
    const final = await readSpawnProgress(
      eventStream(
        [
          { progress: 10, message: 'Spawning' },
          {
            progress: 100,
            ready: true,
            message: 'ready',
            url: '/user/alice/a/'
          }
        ],
        3
      ).body!,
      event => events.push(event)
    );
    expect(events.map(e => e.message)).toEqual(['Spawning', 'ready']);
    expect(final.ready).toBe(true);
    expect(final.url).toBe('/user/alice/a/');
  });

  it('ends at a failed event', async () => {
    const final = await readSpawnProgress(
      eventStream([{ progress: 100, failed: true, message: 'Spawn failed: x' }])
        .body!,
      () => undefined
    );
    expect(final.failed).toBe(true);
    expect(final.message).toBe('Spawn failed: x');
  });

  it('rejects when the stream ends before the end of the start', async () => {
    await expect(
      readSpawnProgress(
        eventStream([{ progress: 10, message: 'Spawning' }]).body!,
        () => undefined
      )
    ).rejects.toBeInstanceOf(SpawnStreamEnded);
  });
});

/** The HubError a call rejects with (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (reason) {
    expect(reason).toBeInstanceOf(HubError);
    return reason as HubError;
  }
  throw new Error('expected a HubError');
}

describe('HubClient', () => {
  const translator = nullTranslator;
  let hub: FakeHub;
  let client: HubClient;

  beforeEach(() => {
    hub = new FakeHub();
    client = HubClient.fromPageConfig({
      pageConfig: hubPageConfig(),
      fetch: hub.fetch,
      translator
    })!;
  });

  it('exists only under a hub', () => {
    expect(
      HubClient.fromPageConfig({
        pageConfig: hubPageConfig({ hubUser: '', hubPrefix: '' })
      })
    ).toBeNull();
    expect(client.user).toBe('alice');
    expect(client.apiUrl('users/alice')).toBe('/hub/api/users/alice');
  });

  it('follows the hub prefix and host', () => {
    const other = HubClient.fromPageConfig({
      pageConfig: hubPageConfig({
        hubPrefix: '/base/hub/',
        hubHost: 'https://hub.example.org'
      })
    })!;
    expect(other.apiUrl('user')).toBe(
      'https://hub.example.org/base/hub/api/user'
    );
    expect(other.baseUrl).toBe('https://hub.example.org/base/');
    expect(other.labUrl('/base/user/alice/a/')).toBe(
      'https://hub.example.org/base/user/alice/a/lab'
    );
    // With subdomains the hub gives an absolute URL.
    expect(other.labUrl('https://alice.hub.example.org/user/alice/a/')).toBe(
      'https://alice.hub.example.org/user/alice/a/lab'
    );
    expect(client.labUrl('/user/alice/a/')).toBe(
      `${window.location.origin}/user/alice/a/lab`
    );
  });

  it('starts a named server with the image in user_options and the page token', async () => {
    await client.startServer('analysis', 'r2d-alice/analysis:0123');
    const request = hub.requests[0];
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hub/api/users/alice/servers/analysis');
    expect(request.headers.get('Authorization')).toBe('token page-token');
    expect(request.body).toEqual({
      user_options: { image: 'r2d-alice/analysis:0123' }
    });
    expect(hub.servers.get('analysis')?.user_options).toEqual({
      image: 'r2d-alice/analysis:0123'
    });
  });

  it('follows the progress to the ready event', async () => {
    await client.startServer('analysis', 'r2d-alice/analysis:0123');
    const messages: string[] = [];
    const ready = await client.followProgress('analysis', event =>
      messages.push(event.message)
    );
    expect(ready.url).toBe('/user/alice/analysis/');
    expect(messages).toEqual([
      'Spawning server...',
      'Pulling image r2d-alice/analysis',
      'Server ready at /user/alice/analysis/'
    ]);
    expect(hub.requests[1].url).toBe(
      '/hub/api/users/alice/servers/analysis/progress'
    );
    expect(hub.requests[1].headers.get('Authorization')).toBe(
      'token page-token'
    );
  });

  it('turns a failed start into a HubError with the hub’s words', async () => {
    hub.failStart = 'Image r2d-bob/private:1 not in allowed list';
    await client.startServer('private', 'r2d-bob/private:1');
    await expect(
      client.followProgress('private', () => undefined)
    ).rejects.toMatchObject({
      kind: 'spawn_failed',
      message: expect.stringContaining('not in allowed list')
    });
  });

  it('lists the servers with their images', async () => {
    await client.startServer('analysis', 'r2d-alice/analysis:0123');
    const servers = await client.listServers();
    expect(servers).toEqual([
      {
        name: 'analysis',
        image: 'r2d-alice/analysis:0123',
        url: '/user/alice/analysis/',
        ready: false,
        pending: 'spawn',
        started: null
      }
    ]);
  });

  it('says a token without read:servers lacks it (the hub leaves servers out)', async () => {
    hub.refuse.add('read:servers');
    const error = await client.listServers().catch(e => e);
    expect(error).toBeInstanceOf(HubError);
    expect(error.kind).toBe('missing_scope');
    expect(error.scope).toBe('read:servers');
    expect(error.diagnosis).toContain('read:servers!user');
    expect(error.diagnosis).toContain('c.Spawner.oauth_client_allowed_scopes');
  });

  it('names the scope of a 403', async () => {
    hub.refuse.add('start:servers');
    const error = await refusal(client.startServer('a', 'r2d-alice/a:1'));
    expect(error.kind).toBe('missing_scope');
    expect(error.scope).toBe('start:servers');
    expect(error.message).toContain('start:servers');
    for (const scope of CONFIG_SCOPES) {
      expect(error.diagnosis).toContain(scope);
    }
  });

  it('says when named servers are off, naming the config line', async () => {
    hub.namedServers = false;
    const error = await refusal(client.startServer('a', 'r2d-alice/a:1'));
    expect(error.kind).toBe('named_servers_off');
    expect(error.diagnosis).toContain(NAMED_SERVERS_LINE);
  });

  it('keeps the hub’s reason of another refusal', async () => {
    hub.startRefusal = 'Image r2d-bob/x:1 not in allowed list';
    const error = await refusal(client.startServer('x', 'r2d-bob/x:1'));
    expect(error.kind).toBe('refused');
    expect(error.message).toContain('not in allowed list');
    expect(error.diagnosis).toContain('allowed_images');
  });

  it('stops and removes a server', async () => {
    await client.startServer('analysis', 'r2d-alice/analysis:0123');
    await client.stopServer('analysis');
    const request = hub.requests[1];
    expect(request.method).toBe('DELETE');
    expect(request.url).toBe('/hub/api/users/alice/servers/analysis');
    expect(request.body).toEqual({ remove: true });
    expect(hub.servers.size).toBe(0);
  });

  it('reports an unreachable hub', async () => {
    const failing = new HubClient({
      user: 'alice',
      pageConfig: hubPageConfig(),
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      }
    });
    await expect(failing.listServers()).rejects.toMatchObject({
      kind: 'unreachable'
    });
  });

  it('reads the token’s scopes', async () => {
    expect(await client.tokenScopes()).toEqual(hub.scopes);
    hub.scopes = null;
    expect(await client.tokenScopes()).toBeNull();
  });
});

describe('hub scopes', () => {
  it('finds a scope in any filtered form', () => {
    expect(holdsScope(['start:servers!user=alice'], 'start:servers')).toBe(
      true
    );
    expect(holdsScope(['start:servers'], 'start:servers')).toBe(true);
    expect(holdsScope(['start:servers!group=x'], 'start:servers')).toBe(true);
    expect(holdsScope(['start:serversx'], 'start:servers')).toBe(false);
    expect(holdsScope(['read:servers!user=alice'], 'start:servers')).toBe(
      false
    );
  });

  it('lists the missing server scopes', () => {
    expect(
      missingServerScopes([
        'access:servers!server=alice/',
        'read:servers!user=alice'
      ])
    ).toEqual(['start:servers', 'delete:servers']);
    expect(
      missingServerScopes([
        'start:servers!user=alice',
        'read:servers!user=alice',
        'delete:servers!user=alice'
      ])
    ).toEqual([]);
  });

  it('reads the scope out of the hub’s 403 message', () => {
    expect(
      scopeFromMessage(
        'Action is not authorized with current scopes; requires any of [delete:servers]'
      )
    ).toBe('delete:servers');
    expect(scopeFromMessage('Forbidden')).toBeNull();
  });

  it('writes the config line', () => {
    expect(scopesConfigLine()).toBe(
      'c.Spawner.oauth_client_allowed_scopes += ["start:servers!user", "read:servers!user", "delete:servers!user"]'
    );
  });
});
