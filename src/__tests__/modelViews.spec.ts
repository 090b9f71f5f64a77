/**
 * The model's view choices (filter, mine only, folded sections, cleared builds) and its states
 * around a service restart: builds the service lost, a long outage, the re-sync.
 */
import { errorFromNetworkFailure, errorFromStatus } from '../errors';
import { EnvironmentsModel, OUTAGE_LIMIT } from '../model';
import { FakeClient, makeBuild, makeImage, makeInfo } from './fakes';
import { nullTranslator } from '@jupyterlab/translation';

const trans = nullTranslator.load('jupyterlab_repo2docker');

/** Let the model's filter timer and the fake service's answers run. */
function settle(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 10));
}

describe('EnvironmentsModel view choices', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;

  beforeEach(() => {
    client = new FakeClient();
    model = new EnvironmentsModel({ client, filterDelay: 0 });
  });
  afterEach(() => model.dispose());

  it('filters builds and images by every word, and "mine only" by owner', async () => {
    client.getInfo.mockResolvedValue(
      makeInfo({
        name: 'admin',
        permissions: { access: true, read: true, build: true, admin: true }
      })
    );
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'a', name: 'analysis', owner: 'alice', phase: 'built' }),
      makeBuild({
        id: 'b',
        name: 'thesis',
        owner: 'admin',
        phase: 'built',
        repo: 'https://x/thesis',
        image: 'r2d-admin/thesis:1'
      })
    ]);
    client.listImages.mockResolvedValue([
      makeImage({ name: 'r2d-alice/analysis:1', owner: 'alice' }),
      makeImage({
        name: 'r2d-admin/thesis:1',
        repository: 'r2d-admin/thesis',
        owner: 'admin',
        repo: 'https://x/thesis'
      })
    ]);
    await model.refresh();
    expect(model.hasOthers).toBe(true);
    model.filter = 'THESIS';
    // Builds at once; images once the service answered the page of the filter text.
    expect(model.visibleBuilds.map(b => b.id)).toEqual(['b']);
    await settle();
    expect(model.visibleImages.map(i => i.name)).toEqual([
      'r2d-admin/thesis:1'
    ]);
    expect(client.listImagePage).toHaveBeenLastCalledWith({ limit: 1 });
    expect(client.listImagePage).toHaveBeenCalledWith(
      expect.objectContaining({ q: 'THESIS', limit: 50 })
    );
    expect(model.imageCounts).toEqual({ matching: 1, total: 2, more: 0 });
    model.filter = 'alice analysis';
    expect(model.visibleBuilds.map(b => b.id)).toEqual(['a']);
    await settle();
    expect(model.visibleImages.map(i => i.name)).toEqual([
      'r2d-alice/analysis:1'
    ]);
    model.filter = '';
    model.mineOnly = true;
    expect(model.visibleBuilds.map(b => b.id)).toEqual(['b']);
    await settle();
    expect(model.visibleImages.map(i => i.owner)).toEqual(['admin']);
    expect(client.listImagePage).toHaveBeenCalledWith(
      expect.objectContaining({ owner: 'admin', q: '' })
    );
    expect(model.imageCounts).toEqual({ matching: 1, total: 2, more: 0 });
  });

  it('clears finished builds (not running ones) and remembers it through the view state', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'done', phase: 'built' }),
      makeBuild({ id: 'bad', phase: 'failed' }),
      makeBuild({ id: 'running', phase: 'building' })
    ]);
    await model.refresh();
    const saved: unknown[] = [];
    model.viewStateChanged.connect((_, state) => saved.push(state));
    expect(model.finishedBuildCount).toBe(2);
    model.clearFinished();
    expect(model.visibleBuilds.map(b => b.id)).toEqual(['running']);
    expect(model.hiddenBuildCount).toBe(2);
    expect(model.finishedBuildCount).toBe(0);
    model.setCollapsed('images', true);
    const last = saved[saved.length - 1] as ReturnType<
      () => typeof model.viewState
    >;
    expect(new Set(last.hiddenBuilds)).toEqual(new Set(['done', 'bad']));
    expect(last.collapsed).toEqual({ builds: false, images: true });

    // A new page restores it.
    const other = new EnvironmentsModel({ client });
    other.restoreViewState(JSON.parse(JSON.stringify(last)));
    await other.refresh();
    expect(other.visibleBuilds.map(b => b.id)).toEqual(['running']);
    expect(other.collapsed.images).toBe(true);
    other.showHidden();
    expect(other.visibleBuilds).toHaveLength(3);
    other.dispose();
  });

  it('ignores a malformed saved view state', () => {
    model.restoreViewState({ collapsed: 'x', hiddenBuilds: [1, 'a'] } as never);
    expect(model.collapsed).toEqual({ builds: false, images: false });
    expect(model.viewState.hiddenBuilds).toEqual(['a']);
  });

  it('knows which builds have a log: listed ones that keep it, not images of unknown builds', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'kept', phase: 'built' }),
      makeBuild({ id: 'dropped', phase: 'built', logAvailable: false })
    ]);
    await model.refresh();
    expect(model.hasLog('kept')).toBe(true);
    expect(model.hasLog('dropped')).toBe(false);
    expect(model.hasLog('from-before-a-restart')).toBe(false);
  });
});

describe('EnvironmentsModel after a service restart', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;

  beforeEach(() => {
    client = new FakeClient();
    model = new EnvironmentsModel({ client, refreshInterval: 2 });
  });
  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  it('shows a running build the service no longer knows as gone, without log or cancel, and stops asking', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'lost', phase: 'building' })
    ]);
    await model.refresh();
    expect(model.canCancel(model.builds[0])).toBe(true);

    // The service restarted: it lists nothing and answers 404 for the build.
    client.listBuilds.mockResolvedValue([]);
    client.getBuild.mockRejectedValue(
      errorFromStatus(
        404,
        { code: 'not_found', message: 'build lost not found' },
        'u',
        trans
      )
    );
    await model.refresh();
    const lost = model.builds.find(b => b.id === 'lost')!;
    expect(model.isGone('lost')).toBe(true);
    expect(lost.error).toBe("This build's log is gone: the service restarted.");
    expect(model.hasLog('lost')).toBe(false);
    expect(model.canCancel(lost)).toBe(false);
    expect(model.activeBuilds).toHaveLength(0);

    // It is not asked for again.
    const calls = client.getBuild.mock.calls.length;
    await model.refresh();
    expect(client.getBuild.mock.calls.length).toBe(calls);
    expect(model.isGone('lost')).toBe(true);

    // "Clear finished" removes it for good.
    model.clearFinished();
    expect(model.builds.find(b => b.id === 'lost')).toBeUndefined();
  });

  it('retries soon while the service is away, re-syncs when it is back, and gives up after a long outage', async () => {
    jest.useFakeTimers();
    await model.start();
    client.getInfo.mockRejectedValue(
      errorFromNetworkFailure(new TypeError('x'), 'u', trans)
    );
    // Info is fetched again after an error: make the next refresh fail.
    client.listBuilds.mockRejectedValue(
      errorFromNetworkFailure(new TypeError('x'), 'u', trans)
    );
    await model.refresh({ force: true });
    expect(model.status).toBe('error');
    expect(model.outageSince).not.toBeNull();
    const before = client.getInfo.mock.calls.length;
    // First retry after 2 s (not the idle 30 s).
    await jest.advanceTimersByTimeAsync(2_100);
    expect(client.getInfo.mock.calls.length).toBe(before + 1);

    // Back: the lists re-sync by themselves.
    client.getInfo.mockResolvedValue(makeInfo());
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'new', phase: 'built' })
    ]);
    await jest.advanceTimersByTimeAsync(4_100);
    expect(model.status).toBe('ready');
    expect(model.outageSince).toBeNull();
    expect(model.builds.map(b => b.id)).toEqual(['new']);

    // A long outage ends in a clear state: no more automatic tries.
    client.getInfo.mockRejectedValue(
      errorFromNetworkFailure(new TypeError('x'), 'u', trans)
    );
    client.listBuilds.mockRejectedValue(
      errorFromNetworkFailure(new TypeError('x'), 'u', trans)
    );
    await model.refresh({ force: true });
    await jest.advanceTimersByTimeAsync(OUTAGE_LIMIT + 60_000);
    expect(model.gaveUp).toBe(true);
    const stopped = client.getInfo.mock.calls.length;
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(client.getInfo.mock.calls.length).toBe(stopped);
    // Retry by hand works again.
    client.getInfo.mockResolvedValue(makeInfo());
    client.listBuilds.mockResolvedValue([]);
    await model.refresh({ force: true });
    expect(model.gaveUp).toBe(false);
    expect(model.status).toBe('ready');
  });

  it('stands by while the page is hidden (no requests), and refreshes as soon as it is shown', async () => {
    jest.useFakeTimers();
    let visibility: DocumentVisibilityState = 'visible';
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => visibility
    });
    const show = (state: DocumentVisibilityState) => {
      visibility = state;
      document.dispatchEvent(new Event('visibilitychange'));
    };
    try {
      // An active build: every 2 s while shown.
      client.listBuilds.mockResolvedValue([
        makeBuild({ id: 'b1', phase: 'building' })
      ]);
      await model.start();
      let calls = client.listBuilds.mock.calls.length;
      await jest.advanceTimersByTimeAsync(4_100);
      expect(client.listBuilds.mock.calls.length).toBe(calls + 2);

      show('hidden');
      // One tick lingers (Poll's default), then nothing however long the tab stays hidden.
      await jest.advanceTimersByTimeAsync(2_100);
      calls = client.listBuilds.mock.calls.length;
      await jest.advanceTimersByTimeAsync(10 * 60_000);
      expect(client.listBuilds.mock.calls.length).toBe(calls);

      // Back on the page: at once, not at the next tick.
      client.listBuilds.mockResolvedValue([
        makeBuild({ id: 'b1', phase: 'built' })
      ]);
      show('visible');
      await jest.advanceTimersByTimeAsync(0);
      expect(client.listBuilds.mock.calls.length).toBe(calls + 1);
      expect(model.builds[0].phase).toBe('built');
    } finally {
      delete (document as { visibilityState?: unknown }).visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    }
  });
});
