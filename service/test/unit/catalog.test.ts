/** The cached image list: shared listings, invalidation, time limits, rendering once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageCatalog } from '../../src/images/catalog.js';
import type { ImageListing } from '../../src/images/merged-store.js';

/** A listing source whose calls are counted; `gate` makes the next call wait until opened. */
function source() {
  let calls = 0;
  let gate: Promise<void> | null = null;
  return {
    get calls() {
      return calls;
    },
    /** Make the next listing wait; returns the function that lets it finish. */
    holdNext(): () => void {
      let open!: () => void;
      gate = new Promise<void>(resolve => (open = resolve));
      return open;
    },
    async listWithWarnings(): Promise<ImageListing> {
      calls++;
      const n = calls;
      const waitFor = gate;
      gate = null;
      if (waitFor) await waitFor;
      return { images: [{ name: `img:${n}` } as never], warnings: [] };
    }
  };
}

const options = { trustedMs: 1000, untrustedMs: 100, maxRendered: 2 };

describe('ImageCatalog', () => {
  it('shares one listing between concurrent callers and renders each key once', async () => {
    const src = source();
    const catalog = new ImageCatalog(src, options, () => true);
    let renders = 0;
    const render = (listing: ImageListing) => (
      renders++,
      { images: listing.images }
    );
    const [a, b] = await Promise.all([
      catalog.answer('k', render),
      catalog.answer('k', render)
    ]);
    assert.equal(src.calls, 1);
    assert.deepEqual(a.body, b.body);
    const again = await catalog.answer('k', render);
    assert.equal(again.etag, a.etag);
    assert.equal(src.calls, 1);
    assert.ok(renders <= 2);
    assert.ok(catalog.hits >= 1);
  });

  it('lists again after invalidate, with a new ETag', async () => {
    const src = source();
    const catalog = new ImageCatalog(src, options, () => true);
    const first = await catalog.answer('k', l => l);
    catalog.invalidate();
    const second = await catalog.answer('k', l => l);
    assert.equal(src.calls, 2);
    assert.notEqual(first.etag, second.etag);
    assert.match(second.body.toString(), /img:2/);
  });

  it('trusts a listing longer while engine events are followed', async () => {
    let now = 0;
    let connected = true;
    const src = source();
    const catalog = new ImageCatalog(
      src,
      options,
      () => connected,
      () => now
    );
    await catalog.list();
    now = 500;
    await catalog.list();
    assert.equal(src.calls, 1, 'within trustedMs');
    connected = false;
    await catalog.list();
    assert.equal(src.calls, 2, 'past untrustedMs once events are lost');
    now = 1000;
    connected = true;
    await catalog.list();
    now = 2001;
    await catalog.list();
    assert.equal(src.calls, 3, 'past trustedMs');
  });

  it('does not keep an answer rendered from a listing that changed meanwhile', async () => {
    const src = source();
    const catalog = new ImageCatalog(src, options, () => true);
    const open = src.holdNext();
    const pending = catalog.answer('k', l => l);
    catalog.invalidate(); // an image changed while the old listing was under way
    open();
    await pending;
    const fresh = await catalog.answer('k', l => l);
    assert.match(
      fresh.body.toString(),
      /img:2/,
      'the next answer comes from a new listing'
    );
  });

  it('does not cache a failed listing', async () => {
    let fail = true;
    const catalog = new ImageCatalog(
      {
        async listWithWarnings() {
          if (fail) throw new Error('engine down');
          return { images: [], warnings: [] };
        }
      },
      options,
      () => true
    );
    await assert.rejects(
      catalog.answer('k', l => l),
      /engine down/
    );
    fail = false;
    assert.equal(
      (await catalog.answer('k', l => l)).body.toString(),
      '{"images":[],"warnings":[]}'
    );
  });
});
