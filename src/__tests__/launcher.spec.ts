import { nullTranslator } from '@jupyterlab/translation';
import { HubClient } from '../hub/hubApi';
import { ServerLauncher } from '../hub/launcher';
import { EnvironmentsModel } from '../model';
import { FakeClient, makeBuild, makeImage, makeInfo } from './fakes';
import { FakeHub, hubPageConfig } from './hubFakes';

describe('ServerLauncher', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;
  let hub: FakeHub;
  let opened: string[];
  let launcher: ServerLauncher;
  const image = makeImage();

  function makeLauncher(
    open: (url: string) => Window | null,
    openPending?: ServerLauncher.IOptions['openPending']
  ) {
    return new ServerLauncher({
      model,
      hub: new HubClient({
        user: 'alice',
        pageConfig: hubPageConfig(),
        fetch: hub.fetch,
        translator: nullTranslator
      }),
      open,
      openPending,
      random: () => 0
    });
  }

  /** A server of alice's that the hub already runs, ready. */
  function hubRuns(name: string, userOptions: Record<string, unknown>): void {
    hub.servers.set(name, {
      name,
      ready: true,
      pending: null,
      url: `/user/alice/${name ? `${name}/` : ''}`,
      user_options: userOptions
    });
  }

  beforeEach(async () => {
    client = new FakeClient();
    client.listImages.mockResolvedValue([image]);
    model = new EnvironmentsModel({ client });
    await model.refresh();
    hub = new FakeHub();
    opened = [];
    launcher = makeLauncher(url => {
      opened.push(url);
      return {} as Window;
    });
  });

  afterEach(() => {
    launcher.dispose();
    model.dispose();
  });

  it('starts a named server, follows its progress and opens its JupyterLab', async () => {
    const messages: string[] = [];
    launcher.stateChanged.connect(() => {
      const start = launcher.starts[0];
      if (start && !messages.includes(start.message)) {
        messages.push(start.message);
      }
    });
    const done = await launcher.startImage(image);
    expect(done.status).toBe('ready');
    expect(done.name).toBe('analysis');
    const post = hub.requests.find(r => r.method === 'POST')!;
    expect(post.url).toBe('/hub/api/users/alice/servers/analysis');
    expect(post.body).toEqual({ user_options: { image: image.name } });
    expect(messages).toContain('Pulling image r2d-alice/analysis');
    expect(opened).toEqual([
      `${window.location.origin}/user/alice/analysis/lab`
    ]);
    // Opened: nothing left to show but the running server.
    expect(launcher.starts).toEqual([]);
    await launcher.refresh();
    expect(launcher.servers.map(s => [s.name, s.label, s.ready])).toEqual([
      ['analysis', 'r2d-alice/analysis', true]
    ]);
  });

  it('picks a name no server of the user has', async () => {
    hubRuns('analysis', { image: image.name });
    const done = await launcher.startImage(image);
    expect(done.name).toBe('analysis-aaaa');
    expect(hub.servers.has('analysis-aaaa')).toBe(true);
  });

  it('keeps a ready server whose tab the browser blocked, with its URL', async () => {
    launcher.dispose();
    launcher = makeLauncher(() => null);
    await launcher.startImage(image);
    expect(launcher.starts).toHaveLength(1);
    expect(launcher.starts[0]).toMatchObject({
      status: 'ready',
      url: `${window.location.origin}/user/alice/analysis/lab`
    });
  });

  it('shows a failed start with the hub’s reason, and opens nothing', async () => {
    hub.failStart = 'Image r2d-alice/analysis not in allowed list';
    const done = await launcher.startImage(image);
    expect(done.status).toBe('failed');
    expect(launcher.starts[0].message).toContain('not in allowed list');
    expect(opened).toEqual([]);
    launcher.dismiss(done.key);
    expect(launcher.starts).toEqual([]);
  });

  it('says named servers are off, naming the config line', async () => {
    hub.namedServers = false;
    const done = await launcher.startImage(image);
    expect(done.status).toBe('failed');
    expect(launcher.problem?.kind).toBe('named_servers_off');
    expect(launcher.problem?.diagnosis).toContain(
      'c.JupyterHub.allow_named_servers = True'
    );
  });

  it('finds missing scopes before any start, from the token’s scopes', async () => {
    hub.scopes = ['access:servers!server=alice/', 'start:servers!user=alice'];
    hub.refuse.add('read:servers');
    await launcher.refresh();
    expect(launcher.problem).toMatchObject({
      kind: 'missing_scope',
      scopes: ['read:servers', 'delete:servers']
    });
    expect(launcher.problem?.message).toContain('read:servers, delete:servers');
    expect(launcher.problem?.diagnosis).toContain('delete:servers!user');
    // Without read:servers the hub would leave the servers out: not asked.
    expect(
      hub.requests.filter(r => r.url === '/hub/api/users/alice')
    ).toHaveLength(0);
  });

  it('learns a missing scope from a refused start', async () => {
    hub.refuse.add('start:servers');
    await launcher.startImage(image);
    expect(launcher.problem).toMatchObject({
      kind: 'missing_scope',
      scopes: ['start:servers']
    });
  });

  it('lists only servers running an environment’s image', async () => {
    hubRuns('analysis', { image: image.name });
    hubRuns('', {});
    hubRuns('other', { image: 'jupyter/base-notebook' });
    await launcher.refresh();
    expect(launcher.servers.map(s => s.name)).toEqual(['analysis']);
    expect(launcher.servers[0].labUrl).toBe(
      `${window.location.origin}/user/alice/analysis/lab`
    );
  });

  it('lists a server in an image of the service that no page shown has, by its repository', async () => {
    hubRuns('older', { image: 'r2d-alice/older-analysis:0123abcd' });
    hubRuns('other', { image: 'jupyter/base-notebook:latest' });
    hubRuns('lookalike', { image: 'evil/r2d-alice/x:1' });
    await launcher.refresh();
    expect(launcher.servers.map(s => [s.name, s.label])).toEqual([
      ['older', 'r2d-alice/older-analysis']
    ]);
  });

  it('opens the tab at the click and sends it to the server when ready; closes it on failure', async () => {
    launcher.dispose();
    const tabs: Array<{ message: string; shown: string[]; closed: boolean }> =
      [];
    launcher = makeLauncher(
      url => {
        opened.push(url);
        return null;
      },
      message => {
        const tab = { message, shown: [] as string[], closed: false };
        tabs.push(tab);
        return {
          show: url => (tab.shown.push(url), true),
          close: () => (tab.closed = true)
        };
      }
    );
    const starting = launcher.startImage(image);
    // Opened in the click's own turn, before anything is awaited: the click's permission to
    // open a tab still holds.
    expect(tabs).toHaveLength(1);
    expect(tabs[0].message).toContain('r2d-alice/analysis');
    const done = await starting;
    expect(done.status).toBe('ready');
    expect(tabs[0].shown).toEqual([
      `${window.location.origin}/user/alice/analysis/lab`
    ]);
    expect(opened).toEqual([]);
    expect(launcher.starts).toEqual([]);

    hub.refuse.add('start:servers');
    const failed = await launcher.startImage(image);
    expect(failed.status).toBe('failed');
    expect(tabs[1]).toMatchObject({ shown: [], closed: true });
  });

  it('stops a server and forgets it', async () => {
    await launcher.startImage(image);
    await launcher.refresh();
    await launcher.stop('analysis');
    expect(hub.servers.size).toBe(0);
    expect(launcher.servers).toEqual([]);
    const del = hub.requests.find(r => r.method === 'DELETE')!;
    expect(del.body).toEqual({ remove: true });
  });

  it('starts at once on an already-built answer', async () => {
    const done = await launcher.startAfterBuild(
      makeBuild({
        id: 'old',
        phase: 'built',
        alreadyBuilt: true,
        image: image.name
      })
    );
    expect(done?.status).toBe('ready');
    expect(hub.servers.get('analysis')?.user_options.image).toBe(image.name);
  });

  /** Asks to start after a build the service still reports as building. */
  async function startAfterBuilding() {
    const build = makeBuild({
      id: 'new',
      phase: 'building',
      image: image.name
    });
    client.listBuilds.mockResolvedValue([build]);
    await model.refresh();
    // Not awaited: the start waits for the build's next phase.
    return { build, started: launcher.startAfterBuild(build) };
  }

  it('waits for a build, then starts in its image', async () => {
    const { build, started } = await startAfterBuilding();
    expect(launcher.starts[0]).toMatchObject({ status: 'building' });
    expect(hub.requests.filter(r => r.method === 'POST')).toHaveLength(0);
    client.listBuilds.mockResolvedValue([{ ...build, phase: 'built' }]);
    await model.refresh();
    const done = await started;
    expect(done?.status).toBe('ready');
    expect(opened).toHaveLength(1);
  });

  it('starts nothing when the build fails', async () => {
    const { build, started } = await startAfterBuilding();
    client.listBuilds.mockResolvedValue([
      { ...build, phase: 'failed', error: 'boom' }
    ]);
    await model.refresh();
    expect(await started).toBeNull();
    expect(launcher.starts[0]).toMatchObject({ status: 'failed' });
    expect(hub.requests.filter(r => r.method === 'POST')).toHaveLength(0);
  });

  it('makes launch links on the service under the hub', () => {
    expect(
      launcher.launchLink({
        repo: 'https://github.com/alice/analysis',
        ref: 'main',
        subdir: 'env dir'
      })
    ).toBe(
      'http://localhost/services/repo2docker/launch?repo=https%3A%2F%2Fgithub.com%2Falice%2Fanalysis&ref=main&subdir=env%20dir'
    );
    expect(launcher.launchLink({ repo: '' })).toBeNull();
  });

  it('is in laptop mode without a hub or with a local service', async () => {
    const laptop = new ServerLauncher({ model, hub: null });
    expect(laptop.mode).toBe('laptop');
    expect(laptop.launchLink({ repo: 'https://x/y' })).toBeNull();
    laptop.dispose();
    client.getInfo.mockResolvedValue({ ...makeInfo(), auth: 'local' });
    await model.refresh({ force: true });
    expect(launcher.mode).toBe('laptop');
  });
});
