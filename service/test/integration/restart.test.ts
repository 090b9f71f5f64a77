/**
 * The engine is the service's memory: a restarted service lists the same images with the same
 * owners. Two users building the same repository under the same name get two images.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { removeImage } from '../helpers/docker-cli.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';

describe('restart and ownership', () => {
  let fixtures: Fixtures;
  const made: string[] = [];
  before(() => {
    requireRealParts();
    fixtures = makeFixtures(10);
  });
  after(() => made.forEach(removeImage));

  it('two users, same repository and name → two different images, each with its owner', async () => {
    const images: Record<string, any> = {};
    for (const user of ['alice', 'bob']) {
      const service = await new ServiceProcess({ user }).start();
      const started = await service.api('POST', '/api/builds', {
        repo: fixtures.ok,
        name: 'shared-name'
      });
      assert.equal(
        started.status,
        202,
        `${user} builds rather than reusing another user's image`
      );
      const build = await service.waitForBuild(started.body.id);
      assert.equal(build.phase, 'built');
      images[user] = build;
      made.push(build.image);
      await service.stop();
    }
    assert.notEqual(images.alice.image, images.bob.image);
    assert.match(images.alice.image, /^r2d-alice\/shared-name:/);
    assert.match(images.bob.image, /^r2d-bob\/shared-name:/);
  });

  it('a restarted service lists the same images with the same owners', async () => {
    const first = await new ServiceProcess({ user: 'alice' }).start();
    const before = (
      await first.api(
        'GET',
        `/api/images?repo=${encodeURIComponent(fixtures.ok)}`
      )
    ).body.images;
    await first.stop();
    const second = await new ServiceProcess({ user: 'alice' }).start();
    const afterRestart = (
      await second.api(
        'GET',
        `/api/images?repo=${encodeURIComponent(fixtures.ok)}`
      )
    ).body.images;
    await second.stop();
    assert.ok(before.length >= 2);
    const summary = (list: any[]) =>
      list.map(i => `${i.name} ${i.owner} ${i.commit} ${i.buildId}`).sort();
    assert.deepEqual(summary(afterRestart), summary(before));
    assert.deepEqual(
      new Set(afterRestart.map((i: any) => i.owner)),
      new Set(['alice', 'bob'])
    );
  });

  it('deleting an image removes it from the engine and the list', async () => {
    const service = await new ServiceProcess({ user: 'alice' }).start();
    try {
      const { body } = await service.api(
        'GET',
        `/api/images?owner=alice&repo=${encodeURIComponent(fixtures.ok)}`
      );
      const image = body.images[0];
      const deleted = await service.api(
        'DELETE',
        `/api/images/${encodeURIComponent(image.name)}`
      );
      assert.equal(deleted.status, 204);
      const again = await service.api(
        'DELETE',
        `/api/images/${encodeURIComponent(image.name)}`
      );
      assert.equal(again.status, 404);
      const list = await service.api(
        'GET',
        `/api/images?owner=alice&repo=${encodeURIComponent(fixtures.ok)}`
      );
      assert.equal(list.body.images.length, 0);
    } finally {
      await service.stop();
    }
  });
});

describe('Docker engine unreachable', () => {
  let service: ServiceProcess;
  before(async () => {
    service = await new ServiceProcess({
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }
    }).start();
  });
  after(async () => service?.stop());

  it('answers 503 with a JSON error, and /health says so', async () => {
    const images = await service.api('GET', '/api/images');
    assert.equal(images.status, 503);
    assert.equal(images.body.error.code, 'docker_unreachable');
    const health = await service.api('GET', '/health', undefined, {});
    assert.equal(health.status, 503);
    assert.equal(health.body.docker, 'unreachable');
  });
});
