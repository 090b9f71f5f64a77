/**
 * Pushing to a real OCI registry (Debian's docker-registry on 127.0.0.1, started by
 * scripts/start-registry.sh): once without authentication and once with htpasswd basic auth.
 * Builds push and are read back through the registry's own API; the registry answers the
 * already-built check once the local image is gone; wrong credentials and a registry stopped
 * mid-push end `failed` with the local image kept; delete removes the tag (or says clearly that
 * the registry does not allow it); credentials appear in no log line and no response.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageLabels, removeImage } from '../helpers/docker-cli.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';
import {
  GatedProxy,
  readBack,
  registryGet,
  startRegistry,
  type TestRegistry
} from '../helpers/registry.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { readLog } from '../helpers/sse.js';

const LABEL = 'org.jupyter.repo2docker-service.';

/** `host/path:tag` → path and tag. */
function split(image: string, host: string): { path: string; tag: string } {
  const rest = image.slice(host.length + 1);
  const colon = rest.lastIndexOf(':');
  return { path: rest.slice(0, colon), tag: rest.slice(colon + 1) };
}

async function build(
  service: ServiceProcess,
  body: Record<string, unknown>,
  expectStatus = 202
): Promise<any> {
  const started = await service.api('POST', '/api/builds', body);
  assert.equal(started.status, expectStatus, JSON.stringify(started.body));
  return expectStatus === 202
    ? service.waitForBuild(started.body.id, 180)
    : started.body;
}

async function imageNamed(service: ServiceProcess, name: string): Promise<any> {
  const { body } = await service.api('GET', '/api/images');
  return body.images.find((image: any) => image.name === name) ?? null;
}

describe('registry without authentication', () => {
  let fixtures: Fixtures;
  let registry: TestRegistry;
  let service: ServiceProcess;
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(10);
    registry = await startRegistry();
    service = await new ServiceProcess({
      user: 'alice',
      config: {
        builds: { allowLocalRepos: true },
        registry: { url: registry.url, prefix: 'jupyter/' }
      }
    }).start();
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
    registry?.stop();
  });

  it('says in /api/info which registry is configured (URL only)', async () => {
    const { body } = await service.api('GET', '/api/info');
    assert.deepEqual(body.registry, {
      url: registry.url,
      pushByDefault: false
    });
  });

  it('pushes a fixture build, with a pushing phase and progress, and it reads back through the registry API', async t => {
    const done = await build(service, {
      repo: fixtures.ok,
      ref: 'main',
      push: true
    });
    assert.equal(done.phase, 'built', JSON.stringify(done));
    assert.equal(done.push, true);
    made.push(done.image);
    assert.equal(
      done.image,
      `${registry.host}/jupyter/r2d-alice/ok:${done.commit}`
    );

    const log = await readLog(service.url, service.headers(), done.id);
    const pushing = log.events.filter(event => event.phase === 'pushing');
    assert.ok(pushing.length >= 3, `pushing events: ${pushing.length}`);
    assert.ok(
      pushing.some(event => /Pushed|Layer already exists/.test(event.message)),
      'layer lines in the log'
    );
    const last = pushing.filter(event => event.progress).at(-1)!;
    assert.ok(
      last.progress!.total >= 1 &&
        last.progress!.current === last.progress!.total,
      JSON.stringify(last.progress)
    );
    assert.match(
      log.events.at(-1)!.message,
      /Built and pushed .* \(sha256:[0-9a-f]{64}\)/
    );
    const pushMs =
      Date.parse(log.events.at(-1)!.time) - Date.parse(pushing[0].time);
    t.diagnostic(`push of the fixture image: ${pushMs} ms`);

    // Read back independently: tags list, manifest, config blob and its labels.
    const { path, tag } = split(done.image, registry.host);
    const back = await readBack(registry, path, tag);
    assert.ok(back.tags.includes(done.commit), `tags: ${back.tags}`);
    assert.match(back.manifestType ?? '', /manifest/);
    assert.equal(back.labels?.[`${LABEL}owner`], 'alice');
    assert.equal(back.labels?.[`${LABEL}repo`], fixtures.ok);
    assert.equal(back.labels?.[`${LABEL}commit`], done.commit);
    assert.equal(back.labels?.[`${LABEL}build-id`], done.id);

    // Listed once, living in both places.
    const listed = await service.api(
      'GET',
      `/api/images?repo=${encodeURIComponent(fixtures.ok)}`
    );
    const named = listed.body.images.filter(
      (image: any) => image.name === done.image
    );
    assert.equal(named.length, 1);
    assert.deepEqual(named[0].location, { engine: true, registry: true });
    assert.ok(named[0].size > 0);
    assert.equal(listed.body.warnings, undefined);
  });

  it('answers a second request for the same commit as built, from the registry, once the local image is gone', async t => {
    const { body } = await service.api(
      'GET',
      `/api/images?repo=${encodeURIComponent(fixtures.ok)}`
    );
    const image = body.images[0];
    removeImage(image.name);
    assert.equal(imageLabels(image.name), null, 'local image removed');

    const listed = await imageNamed(service, image.name);
    assert.deepEqual(listed.location, { engine: false, registry: true });
    assert.equal(listed.size, null);
    assert.equal(listed.owner, 'alice');
    assert.equal(listed.commit, image.commit);
    assert.equal(listed.buildId, image.buildId);

    const t0 = performance.now();
    const again = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      ref: 'main'
    });
    const ms = performance.now() - t0;
    t.diagnostic(
      `registry-backed already-built check (local image removed): ${ms.toFixed(0)} ms for the whole POST`
    );
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.alreadyBuilt, true);
    assert.equal(again.body.image, image.name);
    const log = await readLog(service.url, service.headers(), again.body.id);
    assert.match(log.events.at(-1)!.message, /already exists in the registry/);
    assert.equal(imageLabels(image.name), null, 'nothing was built or pulled');
    // Asking for a push changes nothing: it is in the registry already.
    const withPush = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      ref: 'main',
      push: true
    });
    assert.equal(withPush.status, 200);
    assert.equal(withPush.body.alreadyBuilt, true);
  });

  it('pushes an image built without push when asked later, without rebuilding it', async () => {
    const local = await build(service, { repo: fixtures.ok, name: 'later' });
    assert.equal(local.phase, 'built');
    assert.equal(local.push, false);
    made.push(local.image);
    assert.deepEqual((await imageNamed(service, local.image)).location, {
      engine: true,
      registry: false
    });

    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      name: 'later',
      push: true
    });
    assert.equal(started.status, 202);
    const pushed = await service.waitForBuild(started.body.id);
    assert.equal(pushed.phase, 'built', JSON.stringify(pushed));
    const log = await readLog(service.url, service.headers(), pushed.id);
    assert.ok(
      !log.events.some(event => event.phase === 'building'),
      'nothing rebuilt'
    );
    assert.ok(log.events.some(event => event.phase === 'pushing'));
    const listed = await imageNamed(service, local.image);
    assert.deepEqual(listed.location, { engine: true, registry: true });
    assert.equal(listed.buildId, local.id, 'the same image, built once');
  });

  it('delete removes the tag from the registry and the engine', async () => {
    const image = await imageNamed(service, made[1]);
    assert.deepEqual(image.location, { engine: true, registry: true });
    const { path, tag } = split(image.name, registry.host);
    const deleted = await service.api(
      'DELETE',
      `/api/images/${encodeURIComponent(image.name)}`
    );
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal(
      (await registryGet(registry, `/v2/${path}/manifests/${tag}`)).status,
      404
    );
    assert.ok(!(await readBack(registry, path, tag)).tags.includes(tag));
    assert.equal(imageLabels(image.name), null);
    assert.equal(await imageNamed(service, image.name), null);
    // An image only in the registry goes too.
    const first = (
      await service.api(
        'GET',
        `/api/images?repo=${encodeURIComponent(fixtures.ok)}`
      )
    ).body.images.find((i: any) => i.location.registry && !i.location.engine);
    assert.ok(first);
    assert.equal(
      (
        await service.api(
          'DELETE',
          `/api/images/${encodeURIComponent(first.name)}`
        )
      ).status,
      204
    );
    assert.equal(await imageNamed(service, first.name), null);
    assert.equal(
      (
        await service.api(
          'DELETE',
          `/api/images/${encodeURIComponent(first.name)}`
        )
      ).status,
      404
    );
  });

  it('refuses a push field that is not a boolean', async () => {
    const bad = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      push: 'yes'
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'push');
  });
});

describe('registry with htpasswd basic auth', () => {
  const auth = {
    username: 'r2d-pusher',
    password: `pw-${Math.random().toString(36).slice(2)}-secret`
  };
  const secrets = [
    auth.password,
    Buffer.from(`${auth.username}:${auth.password}`).toString('base64'),
    auth.username
  ];
  let fixtures: Fixtures;
  let registry: TestRegistry;
  let good: ServiceProcess;
  let wrong: ServiceProcess;
  let none: ServiceProcess;
  const made: string[] = [];
  const responses: string[] = [];
  let dir = '';

  const recorded = async (
    service: ServiceProcess,
    method: string,
    path: string,
    body?: unknown
  ): Promise<any> => {
    const response = await service.api(method, path, body);
    responses.push(JSON.stringify(response.body));
    return response;
  };

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(10);
    registry = await startRegistry({ auth });
    dir = mkdtempSync(join(tmpdir(), 'r2d-registry-creds-'));
    const wrongFile = join(dir, 'credentials.json');
    writeFileSync(
      wrongFile,
      JSON.stringify({
        username: auth.username,
        password: `${auth.password}-wrong`
      }),
      { mode: 0o600 }
    );
    secrets.push(`${auth.password}-wrong`);
    const config = (extra: Record<string, unknown>) => ({
      builds: { allowLocalRepos: true },
      logLevel: 'info',
      registry: { url: registry.url, pushByDefault: true, ...extra }
    });
    good = await new ServiceProcess({
      user: 'bob',
      config: config({}),
      env: {
        REPO2DOCKER_REGISTRY_USERNAME: auth.username,
        REPO2DOCKER_REGISTRY_PASSWORD: auth.password
      }
    }).start();
    wrong = await new ServiceProcess({
      user: 'carol',
      config: config({ credentialsFile: wrongFile })
    }).start();
    none = await new ServiceProcess({
      user: 'dave',
      config: config({})
    }).start();
  });

  after(async () => {
    await Promise.all([good?.stop(), wrong?.stop(), none?.stop()]);
    made.forEach(removeImage);
    registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pushes by default with the credentials from the environment, and lists from the registry', async () => {
    const info = await recorded(good, 'GET', '/api/info');
    assert.deepEqual(info.body.registry, {
      url: registry.url,
      pushByDefault: true
    });
    const started = await recorded(good, 'POST', '/api/builds', {
      repo: fixtures.ok
    });
    assert.equal(started.body.push, true, 'push by default');
    const done = await good.waitForBuild(started.body.id);
    assert.equal(done.phase, 'built', JSON.stringify(done));
    made.push(done.image);
    const { path, tag } = split(done.image, registry.host);
    const back = await readBack(registry, path, tag);
    assert.equal(back.labels?.[`${LABEL}owner`], 'bob');
    assert.equal(back.labels?.[`${LABEL}commit`], done.commit);
    // Anonymous reads are refused: the service read it with its credentials.
    assert.equal(
      (
        await registryGet(
          { url: registry.url, auth: null },
          `/v2/${path}/tags/list`
        )
      ).status,
      401
    );
    removeImage(done.image);
    const listed = (
      await recorded(good, 'GET', '/api/images')
    ).body.images.find((i: any) => i.name === done.image);
    assert.deepEqual(listed?.location, { engine: false, registry: true });
    const again = await recorded(good, 'POST', '/api/builds', {
      repo: fixtures.ok
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.alreadyBuilt, true);
    responses.push(
      JSON.stringify((await readLog(good.url, good.headers(), done.id)).events)
    );
  });

  it('fails a push with wrong credentials in plain words, keeping the local image, marked not pushed', async () => {
    const started = await recorded(wrong, 'POST', '/api/builds', {
      repo: fixtures.ok,
      name: 'wrong'
    });
    const done = await wrong.waitForBuild(started.body.id);
    responses.push(JSON.stringify(done));
    assert.equal(done.phase, 'failed');
    made.push(done.image);
    assert.match(
      done.error,
      /push failed: the registry 127\.0\.0\.1:\d+ refused the service's credentials/
    );
    assert.doesNotMatch(done.error, /Traceback|\{/);
    assert.ok(imageLabels(done.image), 'the local image is kept');
    const log = await readLog(wrong.url, wrong.headers(), done.id);
    responses.push(JSON.stringify(log.events));
    assert.equal(log.events.at(-1)!.phase, 'failed');
    assert.match(
      log.events.at(-1)!.message,
      /kept in the Docker engine, not pushed/
    );
    const listed = (await recorded(wrong, 'GET', '/api/images')).body;
    // The registry refuses the listing too: a warning, and the local image shown as not pushed.
    assert.ok(
      listed.warnings?.some((warning: string) =>
        /refused the configured credentials/.test(warning)
      ),
      JSON.stringify(listed)
    );
    assert.deepEqual(
      listed.images.find((i: any) => i.name === done.image)?.location,
      { engine: true, registry: false }
    );
    await recorded(wrong, 'GET', '/api/builds');
    await recorded(wrong, 'GET', '/api/info');
  });

  it('fails a push without credentials, saying none are configured', async () => {
    const started = await recorded(none, 'POST', '/api/builds', {
      repo: fixtures.ok,
      name: 'none'
    });
    const done = await none.waitForBuild(started.body.id);
    responses.push(JSON.stringify(done));
    made.push(done.image);
    assert.equal(done.phase, 'failed');
    assert.match(done.error, /requires credentials, and none are configured/);
    assert.ok(imageLabels(done.image));
  });

  it('keeps the credentials out of every log line and every response', () => {
    const everything = [
      good.output,
      wrong.output,
      none.output,
      ...responses
    ].join('\n');
    assert.ok(good.output.length > 0 && responses.length > 8);
    for (const secret of secrets) {
      assert.ok(
        !everything.includes(secret),
        `a credential (${secret.length} chars) appears in a log or response`
      );
    }
  });
});

describe('registry stopped mid-push', () => {
  let fixtures: Fixtures;
  let registry: TestRegistry;
  let proxy: GatedProxy;
  let service: ServiceProcess;
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(10);
    registry = await startRegistry();
    proxy = await new GatedProxy(registry.port).start();
    service = await new ServiceProcess({
      user: 'erin',
      config: {
        builds: { allowLocalRepos: true },
        registry: { url: proxy.url }
      }
    }).start();
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
    proxy?.close();
    registry?.stop();
  });

  it('ends failed, with the registry error in plain words, and keeps the local image', async t => {
    proxy.arm();
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      push: true
    });
    assert.equal(started.status, 202);
    await proxy.uploadSeen; // the engine is uploading a layer: stop the registry now
    registry.kill();
    proxy.close();
    const t0 = performance.now();
    const done = await service.waitForBuild(started.body.id, 180);
    t.diagnostic(
      `failed ${((performance.now() - t0) / 1000).toFixed(1)} s after the registry stopped: ${done.error}`
    );
    made.push(done.image);
    assert.equal(done.phase, 'failed', JSON.stringify(done));
    assert.match(
      done.error,
      /push failed: the registry 127\.0\.0\.1:\d+ could not be reached or stopped answering/
    );
    assert.ok(imageLabels(done.image), 'the local image is kept');
    const log = await readLog(service.url, service.headers(), done.id);
    assert.ok(log.events.some(event => event.phase === 'pushing'));
    assert.match(
      log.events.at(-1)!.message,
      /kept in the Docker engine, not pushed/
    );
    // Failed at the engine's first retry, when the service found the registry gone too,
    // rather than after the engine's ~50 s of retries.
    assert.ok(
      log.events.some(event => /Retrying in/.test(event.message)),
      'the engine said it would retry'
    );
    const listed = (await service.api('GET', '/api/images')).body;
    assert.deepEqual(
      listed.images.find((i: any) => i.name === done.image)?.location,
      { engine: true, registry: false }
    );
    assert.ok(
      listed.warnings?.some((warning: string) =>
        /does not answer/.test(warning)
      ),
      JSON.stringify(listed.warnings)
    );
  });
});

describe('registry that does not allow deletes', () => {
  let fixtures: Fixtures;
  let registry: TestRegistry;
  let service: ServiceProcess;
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(10);
    registry = await startRegistry({ noDelete: true });
    service = await new ServiceProcess({
      user: 'frank',
      config: {
        builds: { allowLocalRepos: true },
        registry: { url: registry.url, pushByDefault: true }
      }
    }).start();
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
    registry?.stop();
  });

  it('removes the local copy and says clearly that the registry keeps its own', async () => {
    const done = await build(service, { repo: fixtures.ok });
    assert.equal(done.phase, 'built');
    made.push(done.image);
    const first = await service.api(
      'DELETE',
      `/api/images/${encodeURIComponent(done.image)}`
    );
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body.removed, { engine: true, registry: false });
    assert.match(
      first.body.message,
      /does not allow deleting images, so .* is still there/
    );
    assert.equal(imageLabels(done.image), null);
    const { path, tag } = split(done.image, registry.host);
    assert.ok(
      (await readBack(registry, path, tag)).labels,
      'still in the registry'
    );
    assert.deepEqual((await imageNamed(service, done.image)).location, {
      engine: false,
      registry: true
    });
    const second = await service.api(
      'DELETE',
      `/api/images/${encodeURIComponent(done.image)}`
    );
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'registry_delete_unsupported');
    assert.match(second.body.error.message, /does not allow deleting images/);
  });
});
