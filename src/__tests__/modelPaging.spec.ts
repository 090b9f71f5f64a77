/**
 * The model asks the service only for the image page the panel shows (issue 17): a limit, the
 * filter text once it rested, the owner for "mine only", more on demand, the same page on every
 * poll; and the whole list, filtered here, from a service without paging.
 */
import type {
  Image,
  ImageList,
  PagedImageList
} from '@jupyterlab-repo2docker/service/contract';
import { errorFromStatus } from '../errors';
import { EnvironmentsModel } from '../model';
import { FakeClient, makeImage, makeInfo, pageOfImages } from './fakes';
import { nullTranslator } from '@jupyterlab/translation';
import type { IImagePageQuery } from '../tokens';

const trans = nullTranslator.load('jupyterlab_repo2docker');

function images(count: number, owner = 'alice'): Image[] {
  return Array.from({ length: count }, (_, i) =>
    makeImage({
      name: `r2d-${owner}/img${i}:1`,
      repository: `r2d-${owner}/img${i}`,
      displayName: `img${i}`,
      owner,
      // Newest first: img0 is the newest.
      builtAt: new Date(Date.UTC(2025, 0, 1) - i * 60_000).toISOString()
    })
  );
}

function wait(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

describe('EnvironmentsModel image pages', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;

  beforeEach(() => {
    client = new FakeClient();
    client.listImages.mockResolvedValue(images(120));
    model = new EnvironmentsModel({ client, filterDelay: 30 });
  });
  afterEach(() => model.dispose());

  it('asks for the first page only, counts from total, and asks for more on demand', async () => {
    await model.refresh();
    expect(client.listImagePage).toHaveBeenCalledTimes(1);
    expect(client.listImagePage).toHaveBeenCalledWith({
      limit: 50,
      q: '',
      owner: undefined
    });
    expect(client.listImages).toHaveBeenCalledTimes(1); // by the fake, to page it
    expect(model.imagesPaged).toBe(true);
    expect(model.images).toHaveLength(50);
    expect(model.visibleImages[0].name).toBe('r2d-alice/img0:1');
    expect(model.imageCounts).toEqual({ matching: 120, total: 120, more: 70 });

    const changes: number[] = [];
    model.stateChanged.connect(() => changes.push(model.images.length));
    model.showMoreImages();
    expect(model.imagesLoading).toBe(true);
    await wait(0);
    expect(model.imagesLoading).toBe(false);
    expect(client.listImagePage).toHaveBeenLastCalledWith({
      limit: 100,
      q: '',
      owner: undefined
    });
    expect(model.images).toHaveLength(100);
    expect(model.imageCounts.more).toBe(20);
    expect(changes[changes.length - 1]).toBe(100);

    // The poll asks for the page shown (the client then asks with If-None-Match).
    client.listImagePage.mockClear();
    await model.refresh();
    expect(client.listImagePage.mock.calls).toEqual([
      [{ limit: 100, q: '', owner: undefined }]
    ]);
    expect(model.knownImages).toHaveLength(100);
  });

  it('asks for the filter text once it rested, with the unfiltered count beside it', async () => {
    await model.refresh();
    client.listImagePage.mockClear();
    model.filter = 'i';
    model.filter = 'im';
    model.filter = 'img42';
    await wait(10);
    expect(client.listImagePage).not.toHaveBeenCalled();
    expect(model.visibleImages).toHaveLength(50); // the last page, until the answer
    await wait(40);
    expect(client.listImagePage.mock.calls).toEqual([
      [{ limit: 50, q: 'img42', owner: undefined }],
      [{ limit: 1 }]
    ]);
    expect(model.visibleImages.map(i => i.name)).toEqual(['r2d-alice/img42:1']);
    expect(model.imageCounts).toEqual({ matching: 1, total: 120, more: 0 });
    // Cleared: the first page again at once, without waiting.
    model.filter = '';
    await wait(0);
    expect(model.visibleImages).toHaveLength(50);
    expect(model.imageCounts).toEqual({ matching: 120, total: 120, more: 70 });
  });

  it('asks for the owner with "mine only", and starts again from the first page', async () => {
    client.getInfo.mockResolvedValue(
      makeInfo({
        name: 'admin',
        permissions: { access: true, read: true, build: true, admin: true }
      })
    );
    client.listImages.mockResolvedValue([
      ...images(60, 'bob'),
      ...images(3, 'admin')
    ]);
    await model.refresh();
    model.showMoreImages();
    await wait(0);
    expect(model.images).toHaveLength(63);
    model.mineOnly = true;
    await wait(0);
    expect(client.listImagePage).toHaveBeenCalledWith({
      limit: 50,
      q: '',
      owner: 'admin'
    });
    expect(model.visibleImages.map(i => i.owner)).toEqual([
      'admin',
      'admin',
      'admin'
    ]);
    expect(model.imageCounts).toEqual({ matching: 3, total: 63, more: 0 });
    // Seen before, still known to the launcher's labels.
    expect(model.knownImages).toHaveLength(63);
  });

  it('drops an answer overtaken by a newer question', async () => {
    await model.refresh();
    const slow: Array<() => void> = [];
    client.listImagePage.mockImplementation(async (query: IImagePageQuery) => {
      const answer = pageOfImages(images(120), query);
      if (query.q === 'img1') {
        await new Promise<void>(resolve => slow.push(resolve));
      }
      return answer;
    });
    model.filter = 'img1';
    await wait(40);
    model.filter = 'img7';
    await wait(40);
    expect(model.visibleImages.map(i => i.name)).toContain('r2d-alice/img7:1');
    slow.forEach(resolve => resolve());
    await wait(0);
    expect(model.visibleImages.every(i => i.name.includes('img7'))).toBe(true);
  });

  it('asks again when the filter changed while the first page was on its way', async () => {
    let release: () => void = () => undefined;
    client.listImagePage.mockImplementationOnce(async query => {
      await new Promise<void>(resolve => (release = resolve));
      return pageOfImages(images(120), query);
    });
    const first = model.refresh();
    await wait(0);
    expect(client.listImagePage).toHaveBeenCalledTimes(1);
    model.filter = 'img42';
    release();
    await first;
    await wait(0);
    expect(client.listImagePage).toHaveBeenCalledWith({
      limit: 50,
      q: 'img42',
      owner: undefined
    });
    expect(model.visibleImages.map(i => i.name)).toEqual(['r2d-alice/img42:1']);
  });

  it('removes a deleted image from the page and its counts', async () => {
    await model.refresh();
    client.deleteImage.mockImplementation(async () => {
      client.listImages.mockResolvedValue(images(120).slice(1));
    });
    await model.deleteImage('r2d-alice/img0:1');
    expect(model.images.map(i => i.name)).not.toContain('r2d-alice/img0:1');
    expect(model.imageCounts.total).toBe(119);
    await wait(0);
    expect(model.images).toHaveLength(50);
    expect(model.imageCounts).toEqual({ matching: 119, total: 119, more: 69 });
  });

  it('asks in pages of at most 1,000 when more are listed', async () => {
    client.listImages.mockResolvedValue(images(2500));
    model.dispose();
    model = new EnvironmentsModel({ client, imagePageSize: 900 });
    await model.refresh();
    model.showMoreImages();
    await wait(0);
    expect(client.listImagePage.mock.calls.slice(1)).toEqual([
      [{ limit: 1000, q: '', owner: undefined }],
      [{ limit: 800, offset: 1000, q: '', owner: undefined }]
    ]);
    expect(model.images).toHaveLength(1800);
    expect(model.imageCounts.more).toBe(700);
  });

  it('filters the whole list here when the service does not page', async () => {
    client.listImagePage.mockImplementation(async (): Promise<ImageList> => ({
      images: await client.listImages()
    }));
    await model.refresh();
    expect(model.imagesPaged).toBe(false);
    expect(model.images).toHaveLength(120);
    model.filter = 'img42';
    expect(model.visibleImages.map(i => i.name)).toEqual(['r2d-alice/img42:1']);
    expect(model.imageCounts).toEqual({ matching: 1, total: 120, more: null });
    // Known to be whole: the next refresh asks for the list as before.
    client.listImagePage.mockClear();
    await model.refresh();
    expect(client.listImagePage).not.toHaveBeenCalled();
  });

  it('asks for the whole list when the service refuses the page keys (400 naming limit)', async () => {
    client.listImagePage.mockRejectedValue(
      errorFromStatus(
        400,
        { code: 'invalid_field', message: 'unknown filter', field: 'limit' },
        'http://localhost/',
        trans
      )
    );
    await model.refresh();
    expect(model.status).toBe('ready');
    expect(model.imagesPaged).toBe(false);
    expect(model.images).toHaveLength(120);
  });

  it('with imagePageSize Infinity, asks for the whole list (the previous behaviour)', async () => {
    model.dispose();
    model = new EnvironmentsModel({ client, imagePageSize: Infinity });
    await model.refresh();
    expect(client.listImagePage).not.toHaveBeenCalled();
    expect(model.images).toHaveLength(120);
    expect(model.imageCounts.more).toBeNull();
  });
});

// Type check of the fake against the contract: a page is a PagedImageList.
export const samplePage: PagedImageList = pageOfImages([], {});
