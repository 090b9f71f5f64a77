/**
 * The registry adapter: WWW-Authenticate, Link, manifest and config parsing; the credentials;
 * the merge of engine and registry images; push progress and push errors; and the adapter
 * against a fake registry on 127.0.0.1 that wants the Bearer token dance (the real registry in
 * the integration tests does Basic only).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Image } from '../../src/api/contract.js';
import { loadConfig } from '../../src/config.js';
import type { ImageStore } from '../../src/images/store.js';
import { LABEL } from '../../src/images/labels.js';
import {
  credentialsFromJson,
  loadRegistryCredentials,
  redactCredentials
} from '../../src/registry/credentials.js';
import {
  labelsOfConfig,
  MEDIA_TYPE,
  nextPageUrl,
  parseManifest,
  parseWwwAuthenticate
} from '../../src/registry/distribution.js';
import {
  mergeImages,
  MergedImageStore
} from '../../src/images/merged-store.js';
import {
  describePushError,
  PushProgress
} from '../../src/backends/engine-push.js';
import {
  RegistryDeleteUnsupported,
  RegistryError,
  RegistryStore,
  repositoryPattern,
  splitReference
} from '../../src/registry/registry.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const COMMIT2 = 'fedcba9876543210fedcba9876543210fedcba98';

function image(
  name: string,
  buildId: string,
  location = { engine: true, registry: false }
): Image {
  const colon = name.lastIndexOf(':');
  return {
    name,
    repository: name.slice(0, colon),
    tag: name.slice(colon + 1),
    owner: 'alice',
    shared: false,
    repo: 'https://example.org/r.git',
    ref: 'HEAD',
    commit: name.slice(colon + 1),
    subdir: null,
    displayName: 'r',
    buildId,
    builtAt: '2026-01-01T00:00:00.000Z',
    private: false,
    buildArgs: [],
    buildArgsDigest: '',
    folder: null,
    sharing: { visibility: 'owner', groups: [] },
    size: location.engine ? 1234 : null,
    location
  };
}

describe('parseWwwAuthenticate', () => {
  it('reads Basic and Bearer challenges with quoted parameters', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="r2d-test-registry"'), [
      { scheme: 'basic', params: { realm: 'r2d-test-registry' } }
    ]);
    assert.deepEqual(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"'
      ),
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/busybox:pull,push'
          }
        }
      ]
    );
  });

  it('reads several challenges, escaped quotes, tokens without quotes and odd spacing', () => {
    assert.deepEqual(
      parseWwwAuthenticate(
        'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'
      ),
      [
        {
          scheme: 'newauth',
          params: { realm: 'apps', type: '1', title: 'Login to "apps"' }
        },
        { scheme: 'basic', params: { realm: 'simple' } }
      ]
    );
    assert.deepEqual(
      parseWwwAuthenticate(
        'BEARER  Realm = https://x/token ,error="insufficient_scope"'
      ),
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://x/token', error: 'insufficient_scope' }
        }
      ]
    );
  });

  it('gives nothing for no header and survives garbage', () => {
    assert.deepEqual(parseWwwAuthenticate(null), []);
    assert.deepEqual(parseWwwAuthenticate(''), []);
    assert.ok(Array.isArray(parseWwwAuthenticate(',,, "=" ;;; realm="x')));
  });
});

describe('nextPageUrl', () => {
  it('follows rel="next" against the registry URL, and stops without one', () => {
    assert.equal(
      nextPageUrl(
        '</v2/_catalog?last=b&n=2>; rel="next"',
        'http://127.0.0.1:5000'
      ),
      'http://127.0.0.1:5000/v2/_catalog?last=b&n=2'
    );
    assert.equal(
      nextPageUrl(
        '<https://r/v2/a/tags/list?n=1&last=x>; rel=next',
        'https://r'
      ),
      'https://r/v2/a/tags/list?n=1&last=x'
    );
    assert.equal(nextPageUrl('</x>; rel="prev"', 'https://r'), null);
    assert.equal(nextPageUrl(null, 'https://r'), null);
  });
});

describe('parseManifest', () => {
  const config = {
    mediaType: 'application/vnd.docker.container.image.v1+json',
    size: 10,
    digest: `sha256:${'a'.repeat(64)}`
  };
  const layers = [
    { mediaType: 'x', size: 100, digest: `sha256:${'b'.repeat(64)}` },
    { mediaType: 'x', size: 23, digest: `sha256:${'c'.repeat(64)}` }
  ];

  it('reads Docker v2 schema 2 and OCI image manifests', () => {
    const docker = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.dockerManifest,
      config,
      layers
    });
    assert.deepEqual(parseManifest(MEDIA_TYPE.dockerManifest, docker), {
      kind: 'image',
      mediaType: MEDIA_TYPE.dockerManifest,
      configDigest: config.digest,
      layerBytes: 123
    });
    // OCI makes the body's mediaType optional: the header says what it is.
    const oci = JSON.stringify({ schemaVersion: 2, config, layers });
    assert.equal(
      parseManifest(`${MEDIA_TYPE.ociManifest}; charset=utf-8`, oci).kind,
      'image'
    );
    assert.equal(
      (parseManifest(null, oci) as { configDigest: string }).configDigest,
      config.digest
    );
  });

  it('reports indexes and manifest lists, to be skipped', () => {
    const list = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.dockerManifestList,
      manifests: []
    });
    assert.equal(
      parseManifest(MEDIA_TYPE.dockerManifestList, list).kind,
      'index'
    );
    assert.equal(
      parseManifest(
        MEDIA_TYPE.ociIndex,
        JSON.stringify({ schemaVersion: 2, manifests: [{}] })
      ).kind,
      'index'
    );
  });

  it('refuses schema 1, foreign types, bad digests and non-JSON', () => {
    assert.equal(
      parseManifest(
        MEDIA_TYPE.dockerSchema1Signed,
        JSON.stringify({ schemaVersion: 1, fsLayers: [] })
      ).kind,
      'unsupported'
    );
    assert.equal(
      parseManifest(
        'application/json',
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/x-other',
          config
        })
      ).kind,
      'unsupported'
    );
    assert.equal(
      parseManifest(
        MEDIA_TYPE.ociManifest,
        JSON.stringify({ config: { digest: 'not a digest' } })
      ).kind,
      'unsupported'
    );
    assert.equal(
      parseManifest(MEDIA_TYPE.ociManifest, '<html>').kind,
      'unsupported'
    );
  });
});

describe('labelsOfConfig', () => {
  it('reads config.Labels (Docker and OCI alike), keeping only strings', () => {
    assert.deepEqual(
      labelsOfConfig(
        JSON.stringify({
          architecture: 'amd64',
          config: { Labels: { a: 'b', n: 1 } }
        })
      ),
      { a: 'b' }
    );
    assert.equal(
      labelsOfConfig(JSON.stringify({ config: { Labels: null } })),
      null
    );
    assert.equal(labelsOfConfig(JSON.stringify({ config: {} })), null);
    assert.equal(labelsOfConfig('nope'), null);
  });
});

describe('repository names in the registry', () => {
  it('recognises the repositories the template gives, after the prefix', () => {
    const ours = repositoryPattern('jupyter/', 'r2d-{owner}/{name}');
    assert.ok(ours.test('jupyter/r2d-alice/ok'));
    assert.ok(ours.test('jupyter/r2d--41lice-2e-53mith/my.env'));
    assert.ok(ours.test('jupyter/r2d--shared/env'));
    assert.ok(!ours.test('r2d-alice/ok'));
    assert.ok(!ours.test('jupyter/other/ok'));
    assert.ok(!ours.test('jupyter/r2d-alice/ok/extra'));
  });

  it('splits host/path:tag on the registry host only', () => {
    assert.deepEqual(
      splitReference(`127.0.0.1:5000/r2d-a/b:${COMMIT}`, '127.0.0.1:5000'),
      { path: 'r2d-a/b', tag: COMMIT }
    );
    assert.equal(splitReference(`r2d-a/b:${COMMIT}`, '127.0.0.1:5000'), null);
    assert.equal(
      splitReference('127.0.0.1:5000/r2d-a/b', '127.0.0.1:5000'),
      null
    );
    assert.equal(
      splitReference('127.0.0.1:50000/r2d-a/b:x', '127.0.0.1:5000'),
      null
    );
  });
});

describe('mergeImages', () => {
  it('shows an image in both places once, and keeps the others with where they live', () => {
    const merged = mergeImages(
      [
        image(`h/r2d-alice/a:${COMMIT}`, 'b1'),
        image(`h/r2d-alice/local:${COMMIT}`, 'b2')
      ],
      [
        image(`h/r2d-alice/a:${COMMIT}`, 'b1', {
          engine: false,
          registry: true
        }),
        image(`h/r2d-alice/remote:${COMMIT}`, 'b3', {
          engine: false,
          registry: true
        })
      ]
    );
    const byName = Object.fromEntries(merged.map(i => [i.name, i]));
    assert.equal(merged.length, 3);
    assert.deepEqual(byName[`h/r2d-alice/a:${COMMIT}`].location, {
      engine: true,
      registry: true
    });
    assert.equal(
      byName[`h/r2d-alice/a:${COMMIT}`].size,
      1234,
      'the engine knows the size'
    );
    assert.deepEqual(byName[`h/r2d-alice/local:${COMMIT}`].location, {
      engine: true,
      registry: false
    });
    assert.deepEqual(byName[`h/r2d-alice/remote:${COMMIT}`].location, {
      engine: false,
      registry: true
    });
    assert.equal(byName[`h/r2d-alice/remote:${COMMIT}`].size, null);
  });

  it('shows the engine image as not pushed when the registry holds another build under the name', () => {
    const merged = mergeImages(
      [image(`h/x:${COMMIT}`, 'new')],
      [image(`h/x:${COMMIT}`, 'old', { engine: false, registry: true })]
    );
    assert.equal(merged.length, 1);
    assert.equal(merged[0].buildId, 'new');
    assert.deepEqual(merged[0].location, { engine: true, registry: false });
  });
});

describe('MergedImageStore', () => {
  const warnings: unknown[] = [];
  const log = { warn: (obj: object) => void warnings.push(obj) };
  const engine = (images: Image[], removed: string[] = []): ImageStore => ({
    list: async () => images,
    find: async ref => images.find(i => i.name === ref) ?? null,
    remove: async ref => {
      removed.push(ref);
      return images.some(i => i.name === ref);
    }
  });
  const failing = (error: Error) =>
    ({
      host: 'h',
      list: async () => {
        throw error;
      },
      find: async () => {
        throw error;
      },
      remove: async () => {
        throw error;
      }
    }) as unknown as RegistryStore;

  it('lists the engine alone, with a warning, when the registry cannot be read', async () => {
    const store = new MergedImageStore(
      engine([image(`h/a:${COMMIT}`, 'b1')]),
      failing(
        new RegistryError('the registry h does not answer (ECONNREFUSED)')
      ),
      log
    );
    const listing = await store.listWithWarnings();
    assert.equal(listing.images.length, 1);
    assert.deepEqual(listing.warnings, [
      'the registry h does not answer (ECONNREFUSED)'
    ]);
    assert.ok(warnings.length > 0, 'logged');
  });

  it('finds from the engine when the registry fails, unless strict', async () => {
    const store = new MergedImageStore(
      engine([image(`h/a:${COMMIT}`, 'b1')]),
      failing(new RegistryError('down')),
      log
    );
    assert.equal((await store.find(`h/a:${COMMIT}`))?.buildId, 'b1');
    await assert.rejects(store.find(`h/a:${COMMIT}`, { strict: true }), /down/);
  });

  it('reports a registry that refuses deletes, after removing the engine copy', async () => {
    const removed: string[] = [];
    const store = new MergedImageStore(
      engine([image(`h/a:${COMMIT}`, 'b1')], removed),
      failing(new RegistryDeleteUnsupported('h', `h/a:${COMMIT}`)),
      log
    );
    const result = await store.removeEverywhere(`h/a:${COMMIT}`);
    assert.deepEqual(result.removed, { engine: true, registry: false });
    assert.match(result.refused!, /does not allow deleting images/);
    assert.deepEqual(removed, [`h/a:${COMMIT}`]);
  });

  it('without a registry is the engine', async () => {
    const store = new MergedImageStore(
      engine([image(`a:${COMMIT}`, 'b1')]),
      null,
      log
    );
    assert.deepEqual(
      (await store.list()).map(i => i.location),
      [{ engine: true, registry: false }]
    );
    assert.equal(await store.remove(`a:${COMMIT}`), true);
  });
});

describe('PushProgress', () => {
  // What engine 20.10 sent for the fixture image (abridged).
  const events = [
    { status: 'The push refers to repository [127.0.0.1:5055/try/img]' },
    { status: 'Preparing', progressDetail: {}, id: 'd788752f4722' },
    { status: 'Preparing', progressDetail: {}, id: 'd415f9a5556b' },
    {
      status: 'Pushing',
      progressDetail: { current: 512, total: 25 },
      progress: '[==>]',
      id: 'd788752f4722'
    },
    {
      status: 'Pushing',
      progressDetail: { current: 2048, total: 25 },
      progress: '[==>]',
      id: 'd788752f4722'
    },
    {
      status: 'Pushing',
      progressDetail: { current: 33792, total: 1982256 },
      id: 'd415f9a5556b'
    },
    { status: 'Pushed', progressDetail: {}, id: 'd788752f4722' },
    {
      status: 'Pushing',
      progressDetail: { current: 1147904, total: 1982256 },
      id: 'd415f9a5556b'
    },
    {
      status: 'Pushing',
      progressDetail: { current: 1180000, total: 1982256 },
      id: 'd415f9a5556b'
    },
    {
      status: 'Pushing',
      progressDetail: { current: 1984512, total: 1982256 },
      id: 'd415f9a5556b'
    },
    { status: 'Pushed', progressDetail: {}, id: 'd415f9a5556b' },
    { status: `abc: digest: sha256:${'5'.repeat(64)} size: 734` },
    {
      progressDetail: {},
      aux: { Tag: 'abc', Digest: `sha256:${'5'.repeat(64)}`, Size: 734 }
    }
  ];

  it('gives a line per layer state, byte progress by quarters, layer counts and the digest', () => {
    const progress = new PushProgress();
    const lines = events
      .map(event => progress.handle(event))
      .filter(line => line !== null);
    const messages = lines.map(line => line!.message);
    assert.equal(
      messages[0],
      'The push refers to repository [127.0.0.1:5055/try/img]'
    );
    assert.ok(messages.includes('d788752f4722: Preparing'));
    assert.ok(messages.includes('d415f9a5556b: Pushing 33.8 kB / 2.0 MB'));
    assert.ok(messages.includes('d415f9a5556b: Pushing 1.1 MB / 2.0 MB'));
    assert.ok(
      !messages.some(m => m.includes('1.2 MB')),
      'the same quarter is not repeated'
    );
    assert.equal(
      messages.filter(m => m.startsWith('d788752f4722: Pushing')).length,
      1,
      'a tiny layer reports once'
    );
    assert.deepEqual(lines.at(-2)!.progress, { current: 2, total: 2 });
    assert.deepEqual(
      lines.find(l => l!.message === 'd788752f4722: Pushed')!.progress,
      { current: 1, total: 2 }
    );
    assert.equal(progress.digest, `sha256:${'5'.repeat(64)}`);
    assert.equal(progress.error, null);
  });

  it('records the error the engine ends with', () => {
    const progress = new PushProgress();
    assert.equal(
      progress.handle({
        errorDetail: { message: 'unauthorized: authentication required' },
        error: 'unauthorized: authentication required'
      }),
      null
    );
    assert.equal(progress.error, 'unauthorized: authentication required');
  });
});

describe('describePushError', () => {
  it('says in plain words what went wrong', () => {
    assert.match(
      describePushError('no basic auth credentials', 'r:5000', false),
      /requires credentials, and none are configured/
    );
    assert.match(
      describePushError(
        'unauthorized: authentication required',
        'r:5000',
        false
      ),
      /none are configured/
    );
    assert.match(
      describePushError(
        'unauthorized: authentication required',
        'r:5000',
        true
      ),
      /^the registry r:5000 refused the service's credentials/
    );
    assert.match(
      describePushError(
        'Get "http://127.0.0.1:5055/v2/": dial tcp 127.0.0.1:5055: connect: connection refused',
        '127.0.0.1:5055',
        false
      ),
      /could not be reached or stopped answering/
    );
    assert.match(
      describePushError(
        'Get "https://r/v2/": http: server gave HTTP response to HTTPS client',
        'r',
        false
      ),
      /insecure-registries/
    );
    assert.equal(
      describePushError('name invalid: bad', 'r', false),
      'the registry r said: name invalid: bad'
    );
  });
});

describe('registry credentials', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'r2d-creds-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('come from the environment first, then the file', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ username: 'f', password: 'fp' }));
    assert.deepEqual(
      loadRegistryCredentials('r', file, {
        REPO2DOCKER_REGISTRY_USERNAME: 'e',
        REPO2DOCKER_REGISTRY_PASSWORD: 'ep'
      }),
      { username: 'e', password: 'ep' }
    );
    assert.deepEqual(loadRegistryCredentials('r', file, {}), {
      username: 'f',
      password: 'fp'
    });
    assert.equal(loadRegistryCredentials('r', null, {}), null);
    assert.throws(
      () =>
        loadRegistryCredentials('r', null, {
          REPO2DOCKER_REGISTRY_USERNAME: 'e'
        }),
      /both/
    );
  });

  it('read a Docker config.json for the right host, and never quote the file', () => {
    const auths = {
      auths: {
        'https://other.org': { auth: 'eDp5' },
        '127.0.0.1:5000': { auth: Buffer.from('u:p:w').toString('base64') }
      }
    };
    assert.deepEqual(credentialsFromJson(auths, '127.0.0.1:5000'), {
      username: 'u',
      password: 'p:w'
    });
    assert.equal(credentialsFromJson(auths, 'nowhere'), null);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"password": "hunter2-not-json');
    assert.throws(
      () => loadRegistryCredentials('r', bad, {}),
      error => !(error as Error).message.includes('hunter2')
    );
    assert.throws(
      () => loadRegistryCredentials('r', join(dir, 'missing.json'), {}),
      /ENOENT/
    );
  });

  it('are scrubbed from text', () => {
    const creds = { username: 'user', password: 's3cret!' };
    const basic = Buffer.from('user:s3cret!').toString('base64');
    assert.equal(
      redactCredentials(`a s3cret! b ${basic}`, creds),
      'a *** b ***'
    );
    assert.equal(redactCredentials('same', null), 'same');
  });
});

describe('registry configuration', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'r2d-regconf-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  function load(registry: object) {
    const file = join(dir, `${Math.random()}.json`);
    writeFileSync(file, JSON.stringify({ registry }));
    return loadConfig(['--config', file], {}).config.registry;
  }

  it('normalises the URL and the prefix', () => {
    assert.deepEqual(
      load({ url: 'http://127.0.0.1:5000/', prefix: '/jupyter' }),
      {
        url: 'http://127.0.0.1:5000',
        prefix: 'jupyter/',
        pushByDefault: false,
        credentialsFile: null,
        insecure: false
      }
    );
    assert.equal(
      load({ url: 'registry.example.org' }).url,
      'https://registry.example.org'
    );
    assert.equal(
      load({ url: 'registry.example.org:5000', insecure: true }).url,
      'http://registry.example.org:5000'
    );
    assert.equal(loadConfig([], {}).config.registry.url, null);
  });

  it('refuses credentials in the URL, paths, plain http off loopback and bad prefixes', () => {
    assert.throws(
      () => load({ url: 'https://u:p@registry.example.org' }),
      /must not hold credentials/
    );
    assert.throws(
      () => load({ url: 'https://registry.example.org/v2' }),
      /host only/
    );
    assert.throws(
      () => load({ url: 'http://registry.example.org' }),
      /insecure/
    );
    assert.throws(() => load({ url: 'ftp://registry.example.org' }), /https/);
    assert.throws(
      () => load({ url: 'https://r.org', prefix: 'Upper/' }),
      /registry\.prefix/
    );
    assert.throws(
      () => load({ url: 'https://r.org', token: 'x' }),
      /unknown configuration key "registry\.token"/
    );
  });
});

/** A registry that wants Bearer tokens from its own token endpoint, as Docker Hub or Harbor do. */
class FakeRegistry {
  server: Server | null = null;
  url = '';
  tokenRequests: {
    authorization: string | undefined;
    scope: string[];
    service: string | null;
  }[] = [];
  requests: string[] = [];
  deletes: string[] = [];
  allowDelete = true;
  readonly blobs = new Map<string, string>();
  readonly manifests = new Map<string, { type: string; body: string }>();

  constructor(
    private readonly credentials: { username: string; password: string }
  ) {}

  addImage(
    path: string,
    tag: string,
    labels: Record<string, string> | null,
    type: string = MEDIA_TYPE.dockerManifest
  ): void {
    const config = JSON.stringify({
      architecture: 'amd64',
      config: { Labels: labels }
    });
    const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    this.blobs.set(digest, config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      ...(type === MEDIA_TYPE.ociManifest ? {} : { mediaType: type }),
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        size: config.length,
        digest
      },
      layers: []
    });
    this.manifests.set(`${path}:${tag}`, { type, body: manifest });
  }

  addIndex(path: string, tag: string): void {
    this.manifests.set(`${path}:${tag}`, {
      type: MEDIA_TYPE.ociIndex,
      body: JSON.stringify({ schemaVersion: 2, manifests: [] })
    });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  stop(): void {
    this.server?.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url!, this.url);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/token') {
      const expected = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
      this.tokenRequests.push({
        authorization: req.headers.authorization,
        scope: url.searchParams.getAll('scope'),
        service: url.searchParams.get('service')
      });
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          token: `tok:${url.searchParams.getAll('scope').join(' ')}`,
          expires_in: 300
        })
      );
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(
      url.pathname
    );
    const scope =
      url.pathname === '/v2/_catalog'
        ? 'registry:catalog:*'
        : match
          ? `repository:${match[1]}:${req.method === 'DELETE' ? 'delete' : 'pull'}`
          : '';
    if (req.headers.authorization !== `Bearer tok:${scope}`) {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="${this.url}/token",service="fake-registry"${scope ? `,scope="${scope}"` : ''}`,
          'content-type': 'application/json'
        })
        .end(
          JSON.stringify({
            errors: [
              { code: 'UNAUTHORIZED', message: 'authentication required' }
            ]
          })
        );
      return;
    }
    if (url.pathname === '/v2/_catalog') {
      const all = [
        ...new Set(
          [...this.manifests.keys()].map(key =>
            key.slice(0, key.lastIndexOf(':'))
          )
        )
      ].sort();
      const last = url.searchParams.get('last');
      const page = all.filter(name => !last || name > last).slice(0, 2); // two per page: pagination is used
      const headers: Record<string, string> = {
        'content-type': 'application/json'
      };
      if (all.indexOf(page.at(-1)!) < all.length - 1) {
        headers.link = `</v2/_catalog?last=${encodeURIComponent(page.at(-1)!)}&n=2>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify({ repositories: page }));
      return;
    }
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const [, path, kind, rest] = match;
    if (kind === 'tags') {
      const tags = [...this.manifests.keys()]
        .filter(key => key.startsWith(`${path}:`))
        .map(key => key.slice(path.length + 1));
      res
        .writeHead(tags.length ? 200 : 404, {
          'content-type': 'application/json'
        })
        .end(JSON.stringify({ name: path, tags }));
      return;
    }
    if (kind === 'blobs') {
      const blob = this.blobs.get(rest);
      res.writeHead(blob ? 200 : 404).end(blob ?? '');
      return;
    }
    if (req.method === 'DELETE') {
      if (!this.allowDelete) {
        res.writeHead(405, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            errors: [
              {
                code: 'UNSUPPORTED',
                message: 'The operation is unsupported.'
              }
            ]
          })
        );
        return;
      }
      const key = [...this.manifests.entries()].find(
        ([k, m]) =>
          k.startsWith(`${path}:`) &&
          `sha256:${createHash('sha256').update(m.body).digest('hex')}` === rest
      )?.[0];
      if (!key) {
        res.writeHead(404).end();
        return;
      }
      this.manifests.delete(key);
      this.deletes.push(key);
      res.writeHead(202).end();
      return;
    }
    const manifest = this.manifests.get(`${path}:${decodeURIComponent(rest)}`);
    if (!manifest) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }));
      return;
    }
    const accepted = (req.headers.accept ?? '')
      .split(',')
      .map(type => type.trim());
    assert.ok(
      accepted.includes(manifest.type),
      `Accept ${req.headers.accept} lacks ${manifest.type}`
    );
    res
      .writeHead(200, {
        'content-type': manifest.type,
        'docker-content-digest': `sha256:${createHash('sha256').update(manifest.body).digest('hex')}`
      })
      .end(manifest.body);
  }
}

describe('RegistryStore against a registry that wants Bearer tokens', () => {
  const credentials = { username: 'robot', password: 'robot-secret' };
  let fake: FakeRegistry;
  let store: RegistryStore;
  let host = '';
  const labels = (
    owner: string,
    name: string,
    commit: string,
    buildId: string
  ): Record<string, string> => ({
    [LABEL.owner]: owner,
    [LABEL.shared]: 'false',
    [LABEL.repo]: 'https://example.org/r.git',
    [LABEL.ref]: 'main',
    [LABEL.commit]: commit,
    [LABEL.name]: name,
    [LABEL.displayName]: name,
    [LABEL.buildId]: buildId,
    [LABEL.builtAt]: '2026-01-02T00:00:00.000Z'
  });

  before(async () => {
    fake = await new FakeRegistry(credentials).start();
    host = new URL(fake.url).host;
    fake.addImage(
      'jupyter/r2d-alice/env',
      COMMIT,
      labels('alice', 'env', COMMIT, 'b1')
    );
    fake.addImage(
      'jupyter/r2d-alice/env',
      COMMIT2,
      labels('alice', 'env', COMMIT2, 'b2'),
      MEDIA_TYPE.ociManifest
    );
    fake.addImage(
      'jupyter/r2d-alice/env',
      'latest',
      labels('alice', 'env', COMMIT, 'b1')
    ); // not a commit tag: skipped
    fake.addIndex('jupyter/r2d-bob/multi', COMMIT); // a multi-platform index: skipped
    fake.addImage('jupyter/r2d-bob/foreign', COMMIT, { unrelated: 'yes' }); // not built by the service
    fake.addImage(
      'jupyter/r2d-bob/liar',
      COMMIT,
      labels('alice', 'liar', COMMIT, 'b9')
    ); // owner not the name's
    fake.addImage(
      'other/thing',
      COMMIT,
      labels('alice', 'thing', COMMIT, 'b8')
    ); // not one of our repositories
    store = new RegistryStore({
      url: fake.url,
      prefix: 'jupyter/',
      template: 'r2d-{owner}/{name}',
      credentials
    });
  });

  after(() => fake.stop());

  it('lists our images through catalog (paginated), tags, manifests and configs, Docker and OCI alike', async () => {
    const images = await store.list();
    assert.deepEqual(images.map(i => i.name).sort(), [
      `${host}/jupyter/r2d-alice/env:${COMMIT}`,
      `${host}/jupyter/r2d-alice/env:${COMMIT2}`
    ]);
    const one = images.find(i => i.tag === COMMIT2)!;
    assert.equal(one.owner, 'alice');
    assert.equal(one.buildId, 'b2');
    assert.equal(one.size, null);
    assert.deepEqual(one.location, { engine: false, registry: true });
    assert.ok(
      fake.requests.some(r => r.includes('/v2/_catalog?last=')),
      'followed the Link header'
    );
    assert.ok(
      !fake.requests.some(r => r.includes('/v2/other/thing/')),
      'foreign repositories are not read'
    );
  });

  it('does the token dance with the credentials, for the scope the challenge names, and caches tokens', async () => {
    assert.ok(fake.tokenRequests.length > 0);
    for (const request of fake.tokenRequests) {
      assert.equal(
        request.authorization,
        `Basic ${Buffer.from('robot:robot-secret').toString('base64')}`
      );
      assert.equal(request.service, 'fake-registry');
    }
    assert.ok(
      fake.tokenRequests.some(r => r.scope.includes('registry:catalog:*'))
    );
    assert.ok(
      fake.tokenRequests.some(r =>
        r.scope.includes('repository:jupyter/r2d-alice/env:pull')
      )
    );
    const before = fake.tokenRequests.length;
    await store.list();
    assert.equal(
      fake.tokenRequests.length,
      before,
      'no new token for scopes already held'
    );
  });

  it('finds one image by name, and nothing for absent tags, indexes or names on other hosts', async () => {
    assert.equal(
      (await store.find(`${host}/jupyter/r2d-alice/env:${COMMIT}`))?.buildId,
      'b1'
    );
    assert.equal(
      await store.find(`${host}/jupyter/r2d-alice/env:${'9'.repeat(40)}`),
      null
    );
    assert.equal(
      await store.find(`${host}/jupyter/r2d-bob/multi:${COMMIT}`),
      null
    );
    assert.equal(
      await store.find(`elsewhere:5000/jupyter/r2d-alice/env:${COMMIT}`),
      null
    );
  });

  it('deletes by digest, and says clearly when the registry does not allow it', async () => {
    assert.equal(
      await store.remove(`${host}/jupyter/r2d-alice/env:${COMMIT2}`),
      true
    );
    assert.deepEqual(fake.deletes, [`jupyter/r2d-alice/env:${COMMIT2}`]);
    assert.ok(
      fake.tokenRequests.some(r =>
        r.scope.includes('repository:jupyter/r2d-alice/env:delete')
      )
    );
    assert.equal(
      await store.remove(`${host}/jupyter/r2d-alice/env:${COMMIT2}`),
      false
    );
    fake.allowDelete = false;
    await assert.rejects(
      store.remove(`${host}/jupyter/r2d-alice/env:${COMMIT}`),
      (error: Error) => {
        assert.ok(error instanceof RegistryDeleteUnsupported);
        assert.match(error.message, /does not allow deleting images/);
        return true;
      }
    );
  });

  it('says when the credentials are refused or missing, without quoting them', async () => {
    const wrong = new RegistryStore({
      url: fake.url,
      prefix: 'jupyter/',
      template: 'r2d-{owner}/{name}',
      credentials: { username: 'robot', password: 'nope-secret' }
    });
    await assert.rejects(
      wrong.list(),
      (error: Error) =>
        /refused the configured credentials/.test(error.message) &&
        !error.message.includes('nope-secret')
    );
    const anonymous = new RegistryStore({
      url: fake.url,
      prefix: 'jupyter/',
      template: 'r2d-{owner}/{name}',
      credentials: null
    });
    await assert.rejects(
      anonymous.list(),
      /requires credentials, and none are configured/
    );
  });

  it('reports a registry that does not answer', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    server.close(); // nothing listens there now
    const gone = new RegistryStore({
      url: `http://127.0.0.1:${port}`,
      prefix: '',
      template: 'r2d-{owner}/{name}',
      credentials: null,
      timeoutMs: 2000
    });
    await assert.rejects(
      gone.list(),
      (error: Error) =>
        error instanceof RegistryError &&
        /does not answer \(connection refused\)/.test(error.message)
    );
    assert.match((await gone.probe())!, /does not answer/);
  });
});
