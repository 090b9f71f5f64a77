/**
 * Pages of `GET /api/images` on the real engine (issue 17): what the panel asks for — a limit,
 * the filter text, the owner of "Mine only" — answered with `total` and a per-page ETag. The
 * images are one built fixture and copies of its labels loaded into the engine (cheap to make,
 * helpers/labelled-images.ts), removed after.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { imageLabels, removeImage } from '../helpers/docker-cli.js';
import {
  loadLabelledImages,
  removeLabelledImages
} from '../helpers/labelled-images.js';
import { makeFixtures, requireRealParts } from '../helpers/paths.js';
import {
  ServiceProcess,
  type ApiResponse
} from '../helpers/service-process.js';

const TAGS = 30;

describe('image pages on the real engine', () => {
  let service: ServiceProcess;
  // A user of this test only: the local user is an admin and sees every owner's images.
  const user = `pager${randomBytes(3).toString('hex')}`;
  const made: string[] = [];
  let loaded: string[] = [];

  before(async () => {
    requireRealParts();
    const fixtures = makeFixtures(10);
    service = await new ServiceProcess({ user }).start();
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      name: 'paged'
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'built');
    made.push(build.image);
    const [repository] = build.image.split(':');
    loaded = loadLabelledImages({
      base: imageLabels(build.image) ?? {},
      baseRepository: repository,
      count: TAGS - 1,
      owners: [user],
      prefix: 'pg-'
    });
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
    removeLabelledImages(loaded);
  });

  it("answers the owner's page with total and a per-page ETag, filtered by q", async () => {
    const owner = encodeURIComponent(user);
    let page: ApiResponse | null = null;
    // The catalog may hold an answer from before the tags (it follows the engine's events).
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      page = await service.api('GET', `/api/images?owner=${owner}&limit=10`);
      if (page.body.total === TAGS) break;
      await new Promise(resolve => setTimeout(resolve, 300));
    }
    assert.equal(page!.status, 200);
    assert.equal(page!.body.total, TAGS);
    assert.equal(page!.body.images.length, 10);
    assert.equal(page!.body.limit, 10);
    assert.ok(
      page!.body.images.every(
        (image: { owner: string }) => image.owner === user
      )
    );
    const etag = page!.headers.get('etag');
    assert.ok(etag);
    const again = await service.api(
      'GET',
      `/api/images?owner=${owner}&limit=10`,
      undefined,
      service.headers({ 'if-none-match': etag })
    );
    assert.equal(again.status, 304);
    const next = await service.api(
      'GET',
      `/api/images?owner=${owner}&limit=10&offset=10`
    );
    assert.notEqual(next.headers.get('etag'), etag);
    assert.equal(next.body.images.length, 10);
    // The filter box's words: every one, in any field.
    const filtered = await service.api(
      'GET',
      `/api/images?owner=${owner}&limit=10&q=${encodeURIComponent(`${user}  PG-1`)}`
    );
    assert.equal(filtered.status, 200);
    // pg-1 and pg-10..pg-19.
    assert.equal(filtered.body.total, 11);
    const nobody = await service.api(
      'GET',
      `/api/images?owner=nobody-${user}&limit=10`
    );
    assert.equal(nobody.body.total, 0);
  });

  it('refuses an owner with control characters with 400 naming owner', async () => {
    const refused = await service.api(
      'GET',
      '/api/images?owner=al%0Aice&limit=10'
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.field, 'owner');
  });
});
