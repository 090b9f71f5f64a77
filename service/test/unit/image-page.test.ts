/** `limit`, `offset` and `q` of `GET /api/images` (src/http/image-page.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Image } from '../../src/api/contract.js';
import {
  imageMatchesText,
  ownerFilter,
  pageKey,
  pageOf,
  takeImagePage
} from '../../src/http/image-page.js';
import { refusedField } from '../helpers/refused.js';

function image(i: number, owner = 'alice'): Image {
  return {
    name: `r2d-${owner}/img-${i}:abc${i}`,
    displayName: i === 7 ? 'Course Notes' : `img-${i}`,
    owner,
    repo: `https://example.org/repo-${i}`,
    ref: 'main'
  } as unknown as Image;
}

describe('image page', () => {
  it('is absent without limit, offset or q, and leaves the other keys alone', () => {
    const query: Record<string, unknown> = { repo: 'x' };
    assert.equal(takeImagePage(query), null);
    assert.deepEqual(query, { repo: 'x' });
    assert.equal(pageKey(null), '');
  });

  it('takes its keys out of the query and checks them', () => {
    const query: Record<string, unknown> = {
      repo: 'x',
      limit: '50',
      offset: '100',
      q: '  Notes '
    };
    assert.deepEqual(takeImagePage(query), {
      limit: 50,
      offset: 100,
      q: 'notes'
    });
    assert.deepEqual(query, { repo: 'x' });
    assert.equal(
      refusedField(() => takeImagePage({ limit: '0' })),
      'limit'
    );
    assert.equal(
      refusedField(() => takeImagePage({ limit: '1001' })),
      'limit'
    );
    assert.equal(
      refusedField(() => takeImagePage({ limit: '-1' })),
      'limit'
    );
    assert.equal(
      refusedField(() => takeImagePage({ limit: ['1', '2'] })),
      'limit'
    );
    assert.equal(
      refusedField(() => takeImagePage({ offset: '1.5' })),
      'offset'
    );
    assert.equal(
      refusedField(() => takeImagePage({ q: 'x'.repeat(201) })),
      'q'
    );
    assert.equal(
      refusedField(() => takeImagePage({ q: 'a\u0000' })),
      'q'
    );
    assert.equal(
      refusedField(() => takeImagePage({ q: ['a', 'b'] })),
      'q'
    );
  });

  it('answers the page, how many matched, and tells pages apart in the cache key', () => {
    const images = Array.from({ length: 120 }, (_, i) => image(i));
    const body = { images, warnings: ['registry away'] };
    const page = pageOf(body, { limit: 50, offset: 100, q: '' });
    assert.equal(page.total, 120);
    assert.deepEqual(
      page.images.map(i => i.displayName),
      images.slice(100).map(i => i.displayName)
    );
    assert.deepEqual(page.warnings, ['registry away']);
    assert.equal(page.offset, 100);
    assert.equal(page.limit, 50);
    const all = pageOf(body, { limit: null, offset: 0, q: '' });
    assert.equal(all.images.length, 120);
    assert.notEqual(
      pageKey({ limit: 50, offset: 0, q: '' }),
      pageKey({ limit: 50, offset: 50, q: '' })
    );
  });

  it('filters by text in the name, display name, source or owner, ignoring case', () => {
    const images = [
      ...Array.from({ length: 20 }, (_, i) => image(i)),
      image(3, 'bob')
    ];
    assert.deepEqual(
      pageOf(
        { images },
        { limit: null, offset: 0, q: 'course notes' }
      ).images.map(i => i.name),
      ['r2d-alice/img-7:abc7']
    );
    const bobs = pageOf({ images }, { limit: 10, offset: 0, q: 'bob' });
    assert.equal(bobs.total, 1);
    assert.equal(bobs.images[0].owner, 'bob');
    assert.equal(
      pageOf({ images }, { limit: 5, offset: 0, q: 'repo-1' }).total,
      11
    );
    // Every word, each in any field, as the panel's filter box filters builds.
    assert.equal(imageMatchesText(image(7), 'notes repo-7'), true);
    assert.equal(imageMatchesText(image(7), 'notes repo-8'), false);
    assert.equal(imageMatchesText(image(1), ''), true);
    assert.equal(imageMatchesText(image(1), 'nothing-like-it'), false);
  });

  it('checks the owner filter of "Mine only", naming owner when it is refused', () => {
    assert.equal(ownerFilter('alice'), 'alice');
    assert.equal(
      ownerFilter('Ünïcode user@example.org'),
      'Ünïcode user@example.org'
    );
    assert.equal(
      refusedField(() => ownerFilter('')),
      'owner'
    );
    assert.equal(
      refusedField(() => ownerFilter('a'.repeat(256))),
      'owner'
    );
    assert.equal(
      refusedField(() => ownerFilter('al\nice')),
      'owner'
    );
    assert.equal(
      refusedField(() => ownerFilter('al\u007fice')),
      'owner'
    );
    assert.equal(
      refusedField(() => ownerFilter(['alice', 'bob'])),
      'owner'
    );
  });
});
