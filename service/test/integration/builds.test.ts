/**
 * Builds against the real Docker engine with the real repo2docker: success with labels, the
 * already-built answer, failure, cancel, joining, the per-user queue and the timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  containerIds,
  imageId,
  imageLabels,
  imagesOfBuild,
  processesMatching,
  removeImage
} from '../helpers/docker-cli.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { readLog } from '../helpers/sse.js';

const LABEL = 'org.jupyter.repo2docker-service.';

describe('builds on the real engine', () => {
  let fixtures: Fixtures;
  let service: ServiceProcess;
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(2000);
    service = await new ServiceProcess({ user: 'Alice.Smith' }).start();
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
  });

  it('builds the ok fixture into an image in the owner namespace, labelled', async () => {
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      ref: 'main',
      displayName: 'My OK env'
    });
    assert.equal(started.status, 202);
    assert.match(started.body.commit, /^[0-9a-f]{40}$/);
    assert.equal(started.body.owner, 'Alice.Smith');
    // Capitals and "." escape reversibly into the namespace.
    assert.equal(
      started.body.image,
      `r2d--41lice-2e-53mith/ok:${started.body.commit}`
    );
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'built', JSON.stringify(build));
    made.push(build.image);

    const labels = imageLabels(build.image);
    assert.ok(labels, 'image exists in the engine');
    assert.equal(labels[`${LABEL}owner`], 'Alice.Smith');
    assert.equal(labels[`${LABEL}repo`], fixtures.ok);
    assert.equal(labels[`${LABEL}ref`], 'main');
    assert.equal(labels[`${LABEL}commit`], build.commit);
    assert.equal(labels[`${LABEL}display-name`], 'My OK env');
    assert.equal(labels[`${LABEL}build-id`], build.id);
    assert.ok(!Number.isNaN(Date.parse(labels[`${LABEL}built-at`])));

    const { body } = await service.api(
      'GET',
      `/api/images?repo=${encodeURIComponent(fixtures.ok)}&commit=${build.commit}`
    );
    assert.equal(body.images.length, 1);
    assert.equal(body.images[0].name, build.image);
    assert.equal(body.images[0].owner, 'Alice.Smith');
    assert.ok(body.images[0].size > 0);

    const log = await readLog(service.url, service.headers(), build.id);
    assert.ok(
      log.events.some(event =>
        event.message.includes('hello from the ok fixture')
      ),
      'RUN output in the log'
    );
    assert.equal(log.events.at(-1)!.phase, 'built');
  });

  it('answers a repeated request from the existing image without building', async () => {
    const first = await service.api(
      'GET',
      `/api/images?repo=${encodeURIComponent(fixtures.ok)}`
    );
    const image = first.body.images[0];
    const t0 = performance.now();
    const again = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      ref: 'main'
    });
    const ms = performance.now() - t0;
    assert.equal(again.status, 200);
    assert.equal(again.body.alreadyBuilt, true);
    assert.equal(again.body.phase, 'built');
    assert.equal(again.body.image, image.name);
    // Same image, not rebuilt: the build id in its labels is still the first build's.
    assert.equal(imageLabels(image.name)![`${LABEL}build-id`], image.buildId);
    assert.ok(ms < 5000, `answered in ${ms} ms`);
    // `force` rebuilds, swaps the tag, and removes the image it replaced.
    const replaced = imageId(image.name)!;
    const forced = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      ref: 'main',
      force: true
    });
    assert.equal(forced.status, 202);
    const rebuilt = await service.waitForBuild(forced.body.id);
    assert.equal(rebuilt.phase, 'built');
    assert.equal(imageLabels(image.name)![`${LABEL}build-id`], forced.body.id);
    assert.notEqual(imageId(image.name), replaced);
    assert.equal(
      imageId(replaced),
      null,
      'the replaced image is not left dangling'
    );
  });

  it('reports a failing build as failed, with the error in the log and no image', async () => {
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.fail
    });
    assert.equal(started.status, 202);
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'failed');
    assert.ok(build.error && build.error.length > 0);
    assert.doesNotMatch(build.error, /Traceback/);
    assert.equal(imageLabels(build.image), null, 'no image tagged');
    assert.deepEqual(
      imagesOfBuild(build.id),
      [],
      'no untagged image of this build either'
    );
    const log = await readLog(service.url, service.headers(), build.id);
    assert.ok(
      log.events.some(event => event.message.includes('about to fail'))
    );
    assert.equal(log.events.at(-1)!.phase, 'failed');
    assert.ok(
      log.events.every(
        event => !event.message.includes('Traceback (most recent call last)')
      )
    );
  });

  it('cancels mid-build: cancelled, no image, no container, no process left', async () => {
    const containersBefore = containerIds();
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.slow
    });
    assert.equal(started.status, 202);
    // Wait until the RUN step is running.
    await readLog(service.url, service.headers(), started.body.id, {
      onEvent: (event, _id) => {
        if (event.message.includes('sleeping')) {
          throw Object.assign(new Error('seen'), { seen: true });
        }
      }
    }).catch(error => {
      if (!error.seen) throw error;
    });
    const running = await service.api('GET', `/api/builds/${started.body.id}`);
    assert.equal(running.body.phase, 'building');
    const cancel = await service.api(
      'DELETE',
      `/api/builds/${started.body.id}`
    );
    assert.equal(cancel.status, 200);
    const build = await service.waitForBuild(started.body.id, 30);
    assert.equal(build.phase, 'cancelled');
    assert.equal(imageLabels(build.image), null);
    assert.deepEqual(imagesOfBuild(build.id), []);
    assert.deepEqual(
      containerIds(),
      containersBefore,
      'no container left behind'
    );
    assert.deepEqual(
      processesMatching(build.image),
      [],
      'no repo2docker or buildx process left'
    );
    // BuildKit stops the RUN step itself once its client is gone.
    for (
      let i = 0;
      i < 50 && processesMatching('busybox sleep 30').length > 0;
      i++
    ) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    assert.deepEqual(
      processesMatching('busybox sleep 30'),
      [],
      'the RUN step was stopped'
    );
    const log = await readLog(service.url, service.headers(), build.id);
    assert.equal(log.events.at(-1)!.phase, 'cancelled');
    assert.ok(
      log.events.some(event => event.message.includes('sleeping')),
      'log kept after cancel'
    );
  });

  it('joins a second request for the same build, and queues past the per-user limit', async () => {
    const first = await service.api('POST', '/api/builds', {
      repo: fixtures.slow,
      force: true
    });
    const second = await service.api('POST', '/api/builds', {
      repo: fixtures.slow,
      force: true
    });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.body.id, first.body.id, 'the same build is returned');
    // A different image by the same user waits: the per-user limit is 1.
    const other = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      name: 'other'
    });
    assert.equal(other.status, 202);
    assert.equal(other.body.phase, 'queued');
    assert.equal(other.body.queuePosition, 1);
    await service.api('DELETE', `/api/builds/${first.body.id}`);
    const ran = await service.waitForBuild(other.body.id);
    assert.equal(ran.phase, 'built');
    made.push(ran.image);
    const list = await service.api('GET', '/api/builds');
    assert.ok(list.body.builds.length >= 5);
    assert.ok(list.body.builds.every((b: any) => b.owner === 'Alice.Smith'));
  });
});

describe('build timeout', () => {
  let service: ServiceProcess;
  let fixtures: Fixtures;
  before(async () => {
    fixtures = makeFixtures(10);
    service = await new ServiceProcess({
      config: { builds: { allowLocalRepos: true, timeoutSeconds: 3 } }
    }).start();
  });
  after(async () => service?.stop());

  it('fails a build that runs past the timeout and cleans up', async () => {
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.slow
    });
    const build = await service.waitForBuild(started.body.id, 60);
    assert.equal(build.phase, 'failed');
    assert.match(build.error, /longer than 3 s/);
    assert.deepEqual(imagesOfBuild(build.id), []);
    assert.deepEqual(processesMatching(build.image), []);
  });
});
