/**
 * The BinderHub backend's registry path, all real: Debian's docker-registry on loopback
 * (scripts/start-registry.sh), a BinderHub with `use_registry` pushing there (as
 * binderhub-service does on Kubernetes; scripts/binderhub_config.py with R2D_BINDERHUB_REGISTRY:
 * repo2docker --push through this engine, which allows plain HTTP to 127.0.0.0/8), and our
 * service (child process) with `backend.kind: "binderhub"` and `registry.url` = that registry.
 *
 * BinderHub names the image in ITS repository (`image_prefix`, one for every request); the
 * backend puts that manifest under the owner's repository with the blobs mounted (no layer
 * copied) and our labels in a new config blob, and the registry store lists it by those labels
 * with the owner checked against the name.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  BinderHubProcess,
  fixtureParent,
  makeRepo
} from '../helpers/binderhub.js';
import { removeImage } from '../helpers/docker-cli.js';
import { requireRealParts } from '../helpers/paths.js';
import {
  readBack,
  registryGet,
  startRegistry,
  type TestRegistry
} from '../helpers/registry.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { readLog } from '../helpers/sse.js';

const OWNER_LABEL = 'org.jupyter.repo2docker-service.owner';
const BUILD_ID_LABEL = 'org.jupyter.repo2docker-service.build-id';
const MANIFEST =
  'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

/** How many builds BinderHub started for a fixture (its log says "Starting build: …/<name>"). */
function startedBuilds(hub: BinderHubProcess, name: string): number {
  return (
    hub.log().match(new RegExp(`Starting build: .*/${name}$`, 'gm')) ?? []
  ).length;
}

describe(
  'BinderHub backend with a registry: BinderHub pushes, ours is its manifest under the owner',
  { timeout: 600_000 },
  () => {
    let registry: TestRegistry;
    let binderhub: BinderHubProcess;
    let alice: ServiceProcess;
    let bob: ServiceProcess;
    let parent: string;
    let repo: string;
    let commit: string;
    let aliceBuild: any;
    const made: string[] = [];

    const service = (user: string): Promise<ServiceProcess> =>
      new ServiceProcess({
        user,
        config: {
          backend: { kind: 'binderhub', url: binderhub.url },
          builds: { allowLocalRepos: true },
          registry: { url: registry.url }
        }
      }).start();

    /** BinderHub's repository in the registry (the one path under its prefix). */
    async function theirRepository(): Promise<string> {
      const catalog = await registryGet(registry, '/v2/_catalog');
      const theirs = (catalog.json.repositories as string[]).filter(path =>
        path.startsWith(binderhub.imagePrefix)
      );
      assert.equal(theirs.length, 1, JSON.stringify(catalog.json));
      return theirs[0];
    }

    async function layersOf(path: string, tag: string): Promise<string[]> {
      const manifest = await registryGet(
        registry,
        `/v2/${path}/manifests/${tag}`,
        MANIFEST
      );
      assert.equal(manifest.status, 200, `${path}:${tag}`);
      return manifest.json.layers.map(
        (layer: { digest: string }) => layer.digest
      );
    }

    before(async () => {
      requireRealParts();
      parent = fixtureParent();
      repo = makeRepo(parent, 'pushed', 'echo pushed-by-binderhub');
      commit = execFileSync(
        'git',
        ['-C', new URL(repo).pathname, 'rev-parse', 'HEAD'],
        { encoding: 'utf8' }
      ).trim();
      registry = await startRegistry();
      binderhub = await new BinderHubProcess({
        registry: registry.host
      }).start();
      alice = await service('alice');
      bob = await service('bob');
      const started = await alice.api('POST', '/api/builds', {
        repo,
        ref: 'main',
        push: true
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      aliceBuild = await alice.waitForBuild(started.body.id);
      made.push(aliceBuild.image);
    });

    after(async () => {
      await alice?.stop();
      await bob?.stop();
      await binderhub?.stop();
      made.forEach(removeImage);
      registry?.stop();
      if (parent) {
        rmSync(parent, { recursive: true, force: true });
      }
    });

    it("BinderHub pushed its image; ours is that manifest's layers under alice's repository, with her labels", async () => {
      assert.equal(aliceBuild.phase, 'built', aliceBuild.error);
      assert.equal(
        aliceBuild.image,
        `${registry.host}/r2d-alice/pushed:${commit}`
      );
      const ours = await readBack(registry, 'r2d-alice/pushed', commit);
      assert.deepEqual(ours.tags, [commit]);
      assert.equal(ours.labels?.[OWNER_LABEL], 'alice');
      assert.equal(ours.labels?.[BUILD_ID_LABEL], aliceBuild.id);
      const theirs = await theirRepository();
      const theirLabels = (await readBack(registry, theirs, commit)).labels;
      assert.ok(theirLabels, "BinderHub's manifest stays (its cache)");
      assert.equal(theirLabels[OWNER_LABEL], undefined, 'theirs has no owner');
      assert.deepEqual(
        await layersOf('r2d-alice/pushed', commit),
        await layersOf(theirs, commit),
        'the same layers: mounted, not copied'
      );
      const log = await readLog(alice.url, alice.headers(), aliceBuild.id);
      const messages = log.events.map(event => event.message).join('\n');
      assert.match(messages, /pushed-by-binderhub/);
      assert.match(messages, /in the registry/);
    });

    it('listed from the registry store with alice as owner, also once the engine has no copy', async () => {
      const listed = async (): Promise<any> =>
        (
          await alice.api(
            'GET',
            `/api/images?repo=${encodeURIComponent(repo)}&owner=alice`
          )
        ).body.images;
      const first = await listed();
      assert.deepEqual(
        first.map((image: any) => [image.name, image.owner]),
        [[aliceBuild.image, 'alice']]
      );
      assert.equal(first[0].location.registry, true);
      // Only the registry has it now: the registry store alone lists it.
      removeImage(aliceBuild.image);
      let again: any[] = [];
      for (let i = 0; i < 50; i++) {
        again = await listed();
        if (again[0]?.location?.engine === false) break;
        await new Promise(resolve => setTimeout(resolve, 200));
      }
      assert.deepEqual(
        again.map((image: any) => [image.name, image.owner, image.location]),
        [[aliceBuild.image, 'alice', { engine: false, registry: true }]]
      );
    });

    it('already built: answered from the registry, BinderHub not asked again', async () => {
      const before = startedBuilds(binderhub, 'pushed');
      const again = await alice.api('POST', '/api/builds', {
        repo,
        ref: 'main',
        push: true
      });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.alreadyBuilt, true);
      assert.equal(again.body.image, aliceBuild.image);
      assert.equal(startedBuilds(binderhub, 'pushed'), before);
    });

    it("bob, same repository and commit: BinderHub finds its image in the registry (no second build); bob's own image, his owner label", async () => {
      const started = await bob.api('POST', '/api/builds', {
        repo,
        ref: 'main',
        push: true
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const build = await bob.waitForBuild(started.body.id);
      made.push(build.image);
      assert.equal(build.phase, 'built', build.error);
      assert.equal(build.image, `${registry.host}/r2d-bob/pushed:${commit}`);
      assert.equal(
        startedBuilds(binderhub, 'pushed'),
        1,
        'one BinderHub build'
      );
      const log = await readLog(bob.url, bob.headers(), build.id);
      assert.ok(
        log.events.some(event => event.message.includes('Found built image')),
        'BinderHub answered from the registry'
      );
      const ours = await readBack(registry, 'r2d-bob/pushed', commit);
      assert.equal(ours.labels?.[OWNER_LABEL], 'bob');
      const alices = await readBack(registry, 'r2d-alice/pushed', commit);
      assert.equal(alices.labels?.[OWNER_LABEL], 'alice', "alice's untouched");
      const listed = await bob.api(
        'GET',
        `/api/images?repo=${encodeURIComponent(repo)}&owner=bob`
      );
      assert.deepEqual(
        listed.body.images.map((image: any) => [
          image.name,
          image.owner,
          image.location
        ]),
        [[build.image, 'bob', { engine: false, registry: true }]]
      );
    });
  }
);
