/**
 * Re-labelling a shared image without rebuilding, on the real engine and a real registry
 * (Debian's docker-registry on 127.0.0.1): a pushed fixture build changes hands from owner-only
 * to everyone and back; the engine keeps every layer (same RootFS), the registry gets a new config
 * blob and manifest under the same tag naming the very same layer digests, and the labels read
 * back independently of the service's adapter. Then the engine's copy is removed and the
 * registry-only image is re-labelled alone. Without authentication and with Basic auth (the
 * uploads and the manifest PUT authenticated). Prints how long each re-label took.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  imageLabels,
  imagesOfBuild,
  removeImage
} from '../helpers/docker-cli.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';
import {
  readBack,
  registryGet,
  startRegistry,
  type TestRegistry
} from '../helpers/registry.js';
import { ServiceProcess } from '../helpers/service-process.js';

const LABEL = 'org.jupyter.repo2docker-service.';
const MANIFEST =
  'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

const rootfs = (reference: string): string[] =>
  JSON.parse(
    execFileSync(
      'docker',
      ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', reference],
      {
        encoding: 'utf8'
      }
    )
  );

for (const auth of [
  null,
  { username: 'pusher', password: 'p-' + Math.random().toString(36).slice(2) }
]) {
  describe(`re-labelling a shared image in the engine and the registry (${auth ? 'basic auth' : 'no auth'})`, () => {
    let fixtures: Fixtures;
    let registry: TestRegistry;
    let service: ServiceProcess;
    let image = '';
    let path = '';
    let tag = '';

    before(async () => {
      requireRealParts();
      fixtures = makeFixtures(10);
      registry = await startRegistry(auth ? { auth } : {});
      service = await new ServiceProcess({
        user: 'alice',
        env: auth
          ? {
              REPO2DOCKER_REGISTRY_USERNAME: auth.username,
              REPO2DOCKER_REGISTRY_PASSWORD: auth.password
            }
          : {},
        config: {
          builds: { allowLocalRepos: true },
          registry: { url: registry.url, prefix: 'jupyter/' }
        }
      }).start();
      const started = await service.api('POST', '/api/builds', {
        repo: fixtures.ok,
        ref: 'main',
        push: true
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const done = await service.waitForBuild(started.body.id, 180);
      assert.equal(done.phase, 'built', JSON.stringify(done));
      image = done.image;
      const rest = image.slice(registry.host.length + 1);
      path = rest.slice(0, rest.lastIndexOf(':'));
      tag = rest.slice(rest.lastIndexOf(':') + 1);
    });

    after(async () => {
      await service?.stop();
      if (image) removeImage(image);
      registry?.stop();
    });

    const manifest = async () =>
      (await registryGet(registry, `/v2/${path}/manifests/${tag}`, MANIFEST))
        .json;
    const put = (body: unknown) =>
      fetch(`${service.url}/api/images/${encodeURIComponent(image)}/sharing`, {
        method: 'PUT',
        headers: { ...service.headers(), 'content-type': 'application/json' },
        body: JSON.stringify(body)
      });

    it('re-labels both copies, keeping every layer, and says how long each took', async () => {
      const before = await manifest();
      const layersBefore = rootfs(image);
      assert.equal(imageLabels(image)![`${LABEL}sharing`], 'owner');
      const times: string[] = [];
      for (const visibility of ['everyone', 'owner', 'everyone'] as const) {
        const started = performance.now();
        const response = await put({ visibility, groups: [] });
        const wall = performance.now() - started;
        const body = (await response.json()) as any;
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.deepEqual(body.sharing, { visibility, groups: [] });
        assert.deepEqual(body.location, { engine: true, registry: true });
        const timing = response.headers.get('server-timing') ?? '';
        assert.match(timing, /engine;dur=[\d.]+/);
        assert.match(timing, /registry;dur=[\d.]+/);
        times.push(
          `${visibility}: ${wall.toFixed(0)} ms over HTTP (${timing})`
        );
        // The engine: the same layers, the new label, and no nameless old image left behind.
        assert.equal(
          imagesOfBuild(imageLabels(image)![`${LABEL}build-id`]).length,
          1
        );
        assert.deepEqual(rootfs(image), layersBefore);
        assert.equal(imageLabels(image)![`${LABEL}sharing`], visibility);
        // The registry, read independently: a new config, the same layers, the same tag.
        const after = await manifest();
        assert.deepEqual(
          after.layers.map((layer: { digest: string }) => layer.digest),
          before.layers.map((layer: { digest: string }) => layer.digest)
        );
        const read = await readBack(registry, path, tag);
        assert.equal(read.labels?.[`${LABEL}sharing`], visibility);
        assert.equal(read.labels?.[`${LABEL}owner`], 'alice');
        assert.equal(
          read.labels?.[`${LABEL}build-id`],
          imageLabels(image)![`${LABEL}build-id`]
        );
      }
      assert.notEqual((await manifest()).config.digest, before.config.digest);
      console.log(`re-label times (engine + registry): ${times.join('; ')}`);
    });

    it('re-labels an image only the registry has', async () => {
      // Removed from the engine as the service removes it (pruning): the images the re-labels
      // left behind (the old configs, parents of the new) go with it, none is left dangling.
      const buildId = imageLabels(image)![`${LABEL}build-id`];
      execFileSync('docker', ['rmi', image], { stdio: 'ignore' });
      assert.deepEqual(imagesOfBuild(buildId), []);
      const list = await service.api('GET', '/api/images');
      const listed = list.body.images.find(
        (one: { name: string }) => one.name === image
      );
      assert.deepEqual(listed?.location, { engine: false, registry: true });
      const started = performance.now();
      const response = await put({ visibility: 'owner', groups: [] });
      const wall = performance.now() - started;
      const body = (await response.json()) as any;
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.deepEqual(body.sharing, { visibility: 'owner', groups: [] });
      const timing = response.headers.get('server-timing') ?? '';
      assert.match(timing, /^registry;dur=[\d.]+$/);
      assert.equal(
        (await readBack(registry, path, tag)).labels?.[`${LABEL}sharing`],
        'owner'
      );
      console.log(
        `re-label time (registry only): ${wall.toFixed(0)} ms over HTTP (${timing})`
      );
    });
  });
}
