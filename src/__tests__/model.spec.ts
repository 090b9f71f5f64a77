import type { Build } from '@jupyterlab-repo2docker/service/contract';
import { errorFromStatus } from '../errors';
import { EnvironmentsModel, shortNameFromRepository } from '../model';
import { FakeClient, makeBuild, makeImage, makeInfo } from './fakes';
import { nullTranslator } from '@jupyterlab/translation';

const trans = nullTranslator.load('jupyterlab_repo2docker');

/** Let pending promises (a refresh against the fake client) settle. */
const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('EnvironmentsModel', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;
  let finished: Build[];

  beforeEach(() => {
    client = new FakeClient();
    model = new EnvironmentsModel({ client, refreshInterval: 2 });
    finished = [];
    model.buildFinished.connect((_, build) => finished.push(build));
  });

  afterEach(() => model.dispose());

  it('loads the info, builds and images', async () => {
    client.listBuilds.mockResolvedValue([makeBuild()]);
    client.listImages.mockResolvedValue([makeImage()]);
    expect(model.status).toBe('loading');
    await model.refresh();
    expect(model.status).toBe('ready');
    expect(model.info?.user.name).toBe('alice');
    expect(model.builds).toHaveLength(1);
    expect(model.images).toHaveLength(1);
    expect(model.canBuild).toBe(true);
    expect(model.readOnly).toBe(false);
  });

  it('does not list anything without the read permission', async () => {
    client.getInfo.mockResolvedValue(
      makeInfo({
        permissions: { access: true, read: false, build: false, admin: false }
      })
    );
    await model.refresh();
    expect(client.listBuilds).not.toHaveBeenCalled();
    expect(model.readOnly).toBe(true);
  });

  it('keeps the error of a failed refresh and clears it on the next good one', async () => {
    client.getInfo.mockRejectedValueOnce(
      errorFromStatus(401, { code: 'unauthorized', message: 'x' }, 'u', trans)
    );
    await model.refresh();
    expect(model.status).toBe('error');
    expect(model.error?.kind).toBe('unauthorized');
    await model.refresh();
    expect(model.status).toBe('ready');
    expect(model.error).toBeNull();
  });

  it('notifies when a build started here finishes, once', async () => {
    client.startBuild.mockResolvedValue(
      makeBuild({ id: 'b7', phase: 'queued' })
    );
    await model.startBuild({ repo: 'https://github.com/alice/analysis' });
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'b7', phase: 'building' })
    ]);
    await model.refresh();
    expect(finished).toHaveLength(0);
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'b7', phase: 'built' })
    ]);
    await model.refresh();
    expect(finished.map(b => b.id)).toEqual(['b7']);
    await model.refresh();
    expect(finished).toHaveLength(1);
  });

  it('notifies for builds whose log was opened, not for others', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'watched' }),
      makeBuild({ id: 'other' })
    ]);
    await model.refresh();
    client.logStreamOpened.emit('watched');
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'watched', phase: 'failed', error: 'boom' }),
      makeBuild({ id: 'other', phase: 'built' })
    ]);
    await model.refresh();
    expect(finished.map(b => [b.id, b.phase])).toEqual([['watched', 'failed']]);
  });

  it('does not notify for a build the user cancelled here', async () => {
    client.listBuilds.mockResolvedValue([makeBuild({ id: 'b1' })]);
    await model.refresh();
    model.watch('b1');
    await model.cancelBuild('b1');
    expect(finished).toHaveLength(0);
  });

  it('finds a watched build that left the list', async () => {
    client.listBuilds.mockResolvedValue([makeBuild({ id: 'b1' })]);
    await model.refresh();
    model.watch('b1');
    client.listBuilds.mockResolvedValue([]);
    client.getBuild.mockResolvedValue(makeBuild({ id: 'b1', phase: 'built' }));
    await model.refresh();
    expect(client.getBuild).toHaveBeenCalledWith('b1');
    expect(finished.map(b => b.id)).toEqual(['b1']);
  });

  it('polls fast while builds are active and slowly when idle', async () => {
    jest.useFakeTimers();
    try {
      client.listBuilds.mockResolvedValue([makeBuild()]);
      await model.start();
      const calls = client.listBuilds.mock.calls.length;
      await jest.advanceTimersByTimeAsync(2_000);
      expect(client.listBuilds.mock.calls.length).toBe(calls + 1);

      client.listBuilds.mockResolvedValue([makeBuild({ phase: 'built' })]);
      await jest.advanceTimersByTimeAsync(2_000);
      const idleCalls = client.listBuilds.mock.calls.length;
      await jest.advanceTimersByTimeAsync(10_000);
      expect(client.listBuilds.mock.calls.length).toBe(idleCalls);
      await jest.advanceTimersByTimeAsync(model.idleRefreshInterval * 1000);
      expect(client.listBuilds.mock.calls.length).toBe(idleCalls + 1);
    } finally {
      model.dispose();
      jest.useRealTimers();
    }
  });

  describe('phases seen in an open log', () => {
    it('shows a new running phase at once, without asking the service', async () => {
      client.listBuilds.mockResolvedValue([
        makeBuild({ id: 'b1', phase: 'fetching' })
      ]);
      await model.refresh();
      const calls = client.listBuilds.mock.calls.length;
      let changes = 0;
      model.stateChanged.connect(() => changes++);
      model.observePhase('b1', 'building');
      expect(model.builds[0].phase).toBe('building');
      expect(changes).toBe(1);
      // Older phases (a log replaying its start) do not move the build back.
      model.observePhase('b1', 'fetching');
      model.observePhase('b1', 'building');
      expect(model.builds[0].phase).toBe('building');
      expect(changes).toBe(1);
      expect(client.listBuilds.mock.calls.length).toBe(calls);
    });

    it('refreshes at once on a final phase, and notifies a watched build once', async () => {
      client.listBuilds.mockResolvedValue([
        makeBuild({ id: 'b1', phase: 'fetching' })
      ]);
      await model.refresh();
      client.logStreamOpened.emit('b1');
      client.listBuilds.mockResolvedValue([
        makeBuild({
          id: 'b1',
          phase: 'built',
          finishedAt: new Date().toISOString()
        })
      ]);
      client.listImages.mockResolvedValue([makeImage({ buildId: 'b1' })]);
      const calls = client.listBuilds.mock.calls.length;
      model.observePhase('b1', 'built');
      expect(client.listBuilds.mock.calls.length).toBe(calls + 1);
      await flush();
      expect(model.builds[0].phase).toBe('built');
      expect(model.canCancel(model.builds[0])).toBe(false);
      expect(model.images.map(i => i.buildId)).toEqual(['b1']);
      expect(finished.map(b => b.id)).toEqual(['b1']);
      model.observePhase('b1', 'built');
      await flush();
      expect(client.listBuilds.mock.calls.length).toBe(calls + 1);
      expect(finished).toHaveLength(1);
    });

    it('ignores phases before the first answer and of unlisted builds that are over', async () => {
      model.observePhase('b1', 'built');
      expect(client.listBuilds).not.toHaveBeenCalled();
      await model.refresh();
      const calls = client.listBuilds.mock.calls.length;
      model.observePhase('gone', 'failed');
      expect(client.listBuilds.mock.calls.length).toBe(calls);
      // A running build that the list does not show yet: fetch the list.
      client.listBuilds.mockResolvedValue([
        makeBuild({ id: 'new', phase: 'building' })
      ]);
      model.observePhase('new', 'building');
      await flush();
      expect(model.builds.map(b => b.id)).toEqual(['new']);
    });
  });

  it('runs one more refresh when asked during a refresh (a cancel during a poll)', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'b1', phase: 'fetching' })
    ]);
    await model.refresh();
    const before = client.listBuilds.mock.calls.length;
    let release!: () => void;
    client.listBuilds.mockImplementationOnce(async () => {
      // A poll that read the service before the cancel.
      await new Promise<void>(resolve => (release = resolve));
      return [makeBuild({ id: 'b1', phase: 'fetching' })];
    });
    const poll = model.refresh();
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'b1', phase: 'cancelled' })
    ]);
    await model.cancelBuild('b1');
    expect(model.builds[0].phase).toBe('cancelled');
    const again = model.refresh(); // shares the refresh that the cancel asked for
    release();
    await Promise.all([poll, again]);
    expect(model.builds[0].phase).toBe('cancelled');
    expect(client.listBuilds.mock.calls.length).toBe(before + 2);
  });

  it('builds the rebuild request of an image', async () => {
    await model.refresh();
    expect(
      model.rebuildRequest(
        makeImage({
          repository: 'registry.example.org/r2d-alice/my.env',
          subdir: 'binder'
        })
      )
    ).toEqual({
      repo: 'https://github.com/alice/analysis',
      ref: 'main',
      name: 'my.env',
      subdir: 'binder',
      force: true
    });
  });
});

describe('shortNameFromRepository', () => {
  it('reads the name through the template', () => {
    expect(
      shortNameFromRepository('r2d-alice/analysis', 'r2d-{owner}/{name}')
    ).toBe('analysis');
    expect(
      shortNameFromRepository('reg.io:5000/r2d-bob-x/env', 'r2d-{owner}/{name}')
    ).toBe('env');
    expect(
      shortNameFromRepository('r2d-alice-analysis', 'r2d-{owner}-{name}')
    ).toBe('analysis');
    expect(shortNameFromRepository('r2d-alice/analysis', null)).toBe(
      'analysis'
    );
  });
});
