import '@testing-library/jest-dom';
import './panelMocks';
import {
  act,
  fireEvent,
  render,
  screen,
  waitFor,
  within
} from '@testing-library/react';
import * as React from 'react';
import { EnvironmentsPanel } from '../components/EnvironmentsPanel';
import type { BuildLogEvent } from '@jupyterlab-repo2docker/service/contract';
import { Signal } from '@lumino/signaling';
import { errorFromNetworkFailure, errorFromStatus } from '../errors';
import {
  followBuildLogs,
  type ILogViewer,
  type ILogViewers
} from '../followLogs';
import { LogModel } from '../logs/logModel';
import { EnvironmentsModel } from '../model';
import { FakeClient, makeBuild, makeImage, makeInfo } from './fakes';
import { renderPanel, trans } from './renderPanel';

describe('EnvironmentsPanel', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;
  let actions: {
    openLogs: jest.Mock<void, [string, string]>;
    copy: jest.Mock<void, [string]>;
    confirm: jest.Mock<Promise<boolean>, [string, string, string]>;
    reportError: jest.Mock<void, [unknown]>;
  };

  beforeEach(() => {
    client = new FakeClient();
    model = new EnvironmentsModel({ client });
    actions = {
      openLogs: jest.fn<void, [string, string]>(),
      copy: jest.fn<void, [string]>(),
      confirm: jest.fn<Promise<boolean>, [string, string, string]>(
        async () => true
      ),
      reportError: jest.fn<void, [unknown]>()
    };
  });

  afterEach(() => {
    model.dispose();
  });

  function renderLoaded() {
    return renderPanel(model, actions);
  }

  it('shows loading before the first answer', () => {
    render(<EnvironmentsPanel model={model} trans={trans} actions={actions} />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading…');
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
  });

  it('shows an empty state with an enabled form', async () => {
    await renderLoaded();
    expect(screen.queryByText('Loading…')).not.toBeInTheDocument();
    expect(screen.getByText(/No environments yet/)).toBeInTheDocument();
    expect(screen.getByLabelText('Repository URL')).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Build' })).toBeEnabled();
    // Short placeholders that fit the sidebar; the explanation is the field's description.
    const ref = screen.getByLabelText('Branch, tag or commit');
    expect(ref).toHaveAttribute('placeholder', 'optional: the default branch');
    expect(ref).toHaveAccessibleDescription(/branch, tag or commit/);
    expect(screen.getByLabelText('Repository URL')).toHaveAccessibleDescription(
      /https:\/\/github\.com\/owner\/repository/
    );
  });

  it('is read-only without the build scope: form disabled, no cancel or delete', async () => {
    client.getInfo.mockResolvedValue(
      makeInfo({
        permissions: { access: true, read: true, build: false, admin: false },
        missing: [
          {
            scope: 'custom:repo2docker:build',
            grants: 'build',
            hint: "c.JupyterHub.load_roles = [{'name': 'builders', 'scopes': ['custom:repo2docker:build']}]"
          }
        ]
      })
    );
    client.listBuilds.mockResolvedValue([makeBuild()]);
    client.listImages.mockResolvedValue([makeImage()]);
    await renderLoaded();

    expect(screen.getByText(/Read-only/)).toBeInTheDocument();
    expect(screen.getByText('custom:repo2docker:build')).toBeInTheDocument();
    expect(screen.getByText(/c\.JupyterHub\.load_roles/)).toBeInTheDocument();
    expect(screen.getByLabelText('Repository URL')).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Build' })).toBeDisabled();
    expect(
      screen.queryByRole('button', { name: /^Cancel build/ })
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /^Delete/ })
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /^Rebuild/ })
    ).not.toBeInTheDocument();
    // Reading is still allowed.
    expect(
      screen.getByRole('button', { name: /^Show log of/ })
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: /^Copy name of/ })
    ).toBeInTheDocument();
  });

  it('says where the service cannot be reached', async () => {
    client.getInfo.mockRejectedValue(
      errorFromNetworkFailure(
        new TypeError('Failed to fetch'),
        'https://hub.example.org/services/repo2docker/',
        trans
      )
    );
    await renderLoaded();
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent(
      'The repo2docker service cannot be reached at https://hub.example.org/services/repo2docker/.'
    );
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
    expect(
      within(alert).getByRole('button', { name: 'Retry' })
    ).toBeInTheDocument();
  });

  it('tells the user to reload JupyterLab when the token expired', async () => {
    client.getInfo.mockRejectedValue(
      errorFromStatus(
        401,
        { code: 'unauthorized', message: 'token expired' },
        'u',
        trans
      )
    );
    await renderLoaded();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Your session token expired: reload JupyterLab.'
    );
    expect(
      screen.getByRole('button', { name: 'Reload JupyterLab' })
    ).toBeInTheDocument();
  });

  it('names the missing scope and the config that grants it (from the error)', async () => {
    client.getInfo.mockRejectedValue(
      errorFromStatus(
        403,
        {
          code: 'missing_scope',
          message: 'missing scope',
          scope: 'access:services!service=repo2docker'
        },
        'u',
        trans
      )
    );
    await renderLoaded();
    const alert = screen.getByRole('alert');
    expect(
      within(alert).getByText('access:services!service=repo2docker')
    ).toHaveClass('jp-Repo2Docker-scope');
    expect(alert).toHaveTextContent('c.Spawner.oauth_client_allowed_scopes');
    expect(alert).toHaveTextContent('c.JupyterHub.load_roles');
  });

  it("prefers the service's hint for a missing scope when the info has one", async () => {
    const hint =
      "c.Spawner.oauth_client_allowed_scopes += ['custom:repo2docker:read']";
    client.getInfo.mockResolvedValue(
      makeInfo({
        permissions: { access: true, read: true, build: true, admin: false },
        missing: [{ scope: 'custom:repo2docker:read', grants: 'read', hint }]
      })
    );
    client.listBuilds.mockRejectedValue(
      errorFromStatus(
        403,
        {
          code: 'missing_scope',
          message: 'nope',
          scope: 'custom:repo2docker:read'
        },
        'u',
        trans
      )
    );
    await renderLoaded();
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('custom:repo2docker:read');
    expect(alert).toHaveTextContent(hint);
  });

  it('shows a running build with its phase, progress, elapsed time and a cancel button', async () => {
    client.listBuilds.mockResolvedValue([makeBuild()]);
    await renderLoaded();
    const item = screen.getByRole('listitem', { name: 'Build analysis' });
    expect(within(item).getByText('Building')).toBeInTheDocument();
    // The service reports the step being run (2 of 5): one step is finished.
    expect(within(item).getByText('1 of 5 steps done')).toBeInTheDocument();
    expect(
      within(item).getByRole('progressbar', { name: 'Steps finished' })
    ).toHaveAttribute('value', '1');
    expect(within(item).getByText(/^1 min 0[0-9] s$/)).toBeInTheDocument();

    fireEvent.click(
      within(item).getByRole('button', { name: 'Cancel build of analysis' })
    );
    await waitFor(() => expect(client.cancelBuild).toHaveBeenCalledWith('b1'));

    fireEvent.click(
      within(item).getByRole('button', { name: /^Show log of analysis \d/ })
    );
    // The tab's title tells this build from others of the same image by its start time.
    expect(actions.openLogs).toHaveBeenCalledWith(
      'b1',
      expect.stringMatching(/^analysis \d/)
    );
  });

  it('shows a failed build with its error and no cancel button', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({
        phase: 'failed',
        error: 'Error during build: repository not found',
        finishedAt: new Date().toISOString(),
        progress: null
      })
    ]);
    await renderLoaded();
    const item = screen.getByRole('listitem', { name: 'Build analysis' });
    expect(within(item).getByText('Failed')).toBeInTheDocument();
    expect(
      within(item).getByText('Error during build: repository not found')
    ).toBeInTheDocument();
    expect(
      within(item).queryByRole('button', { name: /^Cancel/ })
    ).not.toBeInTheDocument();
  });

  it('lists images with source, short commit, size and owner, and their actions', async () => {
    client.listImages.mockResolvedValue([
      makeImage({ displayName: 'My analysis' })
    ]);
    client.listBuilds.mockResolvedValue([
      makeBuild({
        id: 'b0',
        displayName: 'My analysis',
        phase: 'built',
        progress: null
      })
    ]);
    await renderLoaded();
    const item = screen
      .getAllByText('My analysis')
      .map(e => e.closest('li')!)
      .find(li => li.classList.contains('jp-Repo2Docker-image'))!;
    expect(
      within(item).getByText('r2d-alice/analysis:0123456789ab')
    ).toBeInTheDocument();
    expect(item.querySelector('.jp-Repo2Docker-imageLine')).toHaveAttribute(
      'title',
      'r2d-alice/analysis:0123456789ab'
    );
    expect(
      within(item).getByText('github.com/alice/analysis')
    ).toBeInTheDocument();
    expect(within(item).getByText('01234567')).toBeInTheDocument();
    expect(within(item).getByText('1.23 GB')).toBeInTheDocument();
    expect(within(item).getByText('alice')).toBeInTheDocument();

    fireEvent.click(
      within(item).getByRole('button', { name: 'Copy name of My analysis' })
    );
    expect(actions.copy).toHaveBeenCalledWith(
      'r2d-alice/analysis:0123456789ab'
    );

    fireEvent.click(
      within(item).getByRole('button', { name: 'Show log of My analysis' })
    );
    expect(actions.openLogs).toHaveBeenCalledWith(
      'b0',
      expect.stringMatching(/^My analysis \d/)
    );

    fireEvent.click(
      within(item).getByRole('button', { name: 'Rebuild My analysis' })
    );
    await waitFor(() => expect(client.startBuild).toHaveBeenCalled());
    expect(client.startBuild.mock.calls[0][0]).toEqual({
      repo: 'https://github.com/alice/analysis',
      ref: 'main',
      name: 'analysis',
      displayName: 'My analysis',
      force: true
    });

    fireEvent.click(
      within(item).getByRole('button', { name: 'Delete My analysis' })
    );
    await waitFor(() =>
      expect(client.deleteImage).toHaveBeenCalledWith(
        'r2d-alice/analysis:0123456789ab'
      )
    );
    expect(actions.confirm).toHaveBeenCalled();
  });

  it('shows an image on one line: its name and repository with a short tag, whole in the tooltip', async () => {
    const commit = '6d826202a5013f101ebdef00d06012d2421813c1';
    const name = `r2d-root/ok:${commit}`;
    client.listImages.mockResolvedValue([
      makeImage({
        name,
        repository: 'r2d-root/ok',
        tag: commit,
        commit,
        displayName: ''
      })
    ]);
    await renderLoaded();
    const item = document.querySelector(
      `li[data-image-name="${name}"]`
    ) as HTMLElement;
    const line = item.querySelector('.jp-Repo2Docker-imageLine')!;
    expect(line).toHaveAttribute('title', name);
    expect(line).toHaveTextContent(/^ok r2d-root\/ok:6d826202a501$/);
    expect(within(item).getByText('ok')).toHaveClass('jp-Repo2Docker-itemName');
    fireEvent.click(
      within(item).getByRole('button', { name: 'Copy name of r2d-root/ok' })
    );
    expect(actions.copy).toHaveBeenCalledWith(name);
  });

  it("lists an admin's many images a page at a time: filter, mine only, show more and delete ask the service", async () => {
    model.dispose();
    model = new EnvironmentsModel({ client, filterDelay: 0 });
    client.getInfo.mockResolvedValue(
      makeInfo({
        name: 'admin',
        permissions: { access: true, read: true, build: true, admin: true }
      })
    );
    let listed = Array.from({ length: 130 }, (_, i) =>
      makeImage({
        name: `r2d-${i < 5 ? 'admin' : 'bob'}/img${i}:1`,
        repository: `r2d-${i < 5 ? 'admin' : 'bob'}/img${i}`,
        displayName: `img${i}`,
        owner: i < 5 ? 'admin' : 'bob',
        builtAt: new Date(Date.UTC(2025, 0, 1) - i * 60_000).toISOString()
      })
    );
    client.listImages.mockImplementation(async () => listed);
    client.deleteImage.mockImplementation(async name => {
      listed = listed.filter(image => image.name !== name);
    });
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'x', name: 'img7', phase: 'built', owner: 'bob' }),
      makeBuild({ id: 'y', name: 'other', phase: 'built', owner: 'bob' })
    ]);
    await renderLoaded();
    const rows = () =>
      within(screen.getByRole('list', { name: 'Images' })).getAllByRole(
        'listitem'
      );
    expect(rows()).toHaveLength(50);
    expect(client.listImagePage).toHaveBeenCalledWith(
      expect.objectContaining({ limit: 50 })
    );
    expect(screen.getByRole('button', { name: /^Images/ })).toHaveTextContent(
      '130'
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'Show 50 more images' })
    );
    await waitFor(() => expect(rows()).toHaveLength(100));
    expect(screen.getByText('100 of 130 listed')).toBeInTheDocument();

    // The filter: builds at once, images from the service's page of the text.
    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Filter builds and images' }),
      { target: { value: 'img7' } }
    );
    expect(
      within(screen.getByRole('list', { name: 'Builds' })).getAllByRole(
        'listitem'
      )
    ).toHaveLength(1);
    await waitFor(() =>
      expect(rows().map(row => row.getAttribute('data-image-name'))).toEqual([
        'r2d-bob/img7:1',
        'r2d-bob/img70:1',
        'r2d-bob/img71:1',
        'r2d-bob/img72:1',
        'r2d-bob/img73:1',
        'r2d-bob/img74:1',
        'r2d-bob/img75:1',
        'r2d-bob/img76:1',
        'r2d-bob/img77:1',
        'r2d-bob/img78:1',
        'r2d-bob/img79:1'
      ])
    );
    expect(screen.getByRole('button', { name: /^Images/ })).toHaveTextContent(
      '11 of 130'
    );
    expect(client.listImagePage).toHaveBeenCalledWith(
      expect.objectContaining({ q: 'img7', limit: 50 })
    );
    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Filter builds and images' }),
      { target: { value: 'no such image' } }
    );
    await waitFor(() =>
      expect(screen.getByText('No image matches.')).toBeInTheDocument()
    );
    // A page that matches nothing keeps the filter box (it is not "no environments").
    expect(
      screen.getByRole('searchbox', { name: 'Filter builds and images' })
    ).toBeInTheDocument();
    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Filter builds and images' }),
      { target: { value: '' } }
    );

    // Mine only: the service is asked for the admin's own.
    fireEvent.click(screen.getByRole('checkbox', { name: 'Mine only' }));
    await waitFor(() => expect(rows()).toHaveLength(5));
    expect(client.listImagePage).toHaveBeenCalledWith(
      expect.objectContaining({ owner: 'admin' })
    );
    expect(
      screen.queryByRole('button', { name: /more images/ })
    ).not.toBeInTheDocument();

    // Delete removes the row.
    fireEvent.click(screen.getByRole('button', { name: 'Delete img0' }));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(
      rows().map(row => row.getAttribute('data-image-name'))
    ).not.toContain('r2d-admin/img0:1');
    expect(screen.getByRole('button', { name: /^Images/ })).toHaveTextContent(
      '4 of 129'
    );
  });

  it('does not delete when the confirmation is declined', async () => {
    actions.confirm.mockResolvedValue(false);
    client.listImages.mockResolvedValue([makeImage()]);
    await renderLoaded();
    fireEvent.click(screen.getByRole('button', { name: /^Delete/ }));
    await waitFor(() => expect(actions.confirm).toHaveBeenCalled());
    expect(client.deleteImage).not.toHaveBeenCalled();
  });

  it("shows a build's end as soon as an open log stream sees it, not at the next poll", async () => {
    model.dispose();
    // Polls an hour apart: whatever updates the sidebar below is not the poll.
    model = new EnvironmentsModel({ client, refreshInterval: 3600 });
    client.listBuilds.mockResolvedValue([
      makeBuild({ phase: 'fetching', progress: null })
    ]);
    render(<EnvironmentsPanel model={model} trans={trans} actions={actions} />);
    await act(() => model.start());
    const item = screen.getByRole('listitem', { name: 'Build analysis' });
    expect(within(item).getByText('Fetching')).toBeInTheDocument();
    expect(
      within(item).getByRole('button', { name: 'Cancel build of analysis' })
    ).toBeVisible();

    // The open log viewers, as the log plugin's tracker shows them to the panel.
    const viewers: ILogViewer[] = [];
    const widgetAdded = new Signal<unknown, ILogViewer>({});
    const tracker: ILogViewers = {
      forEach: fn => viewers.forEach(fn),
      widgetAdded
    };
    followBuildLogs(tracker, model);

    // A viewer opens the build's log through the client; the stream runs to the end.
    const events: BuildLogEvent[] = [
      {
        seq: 1,
        phase: 'fetching',
        message: 'Picked Git content provider.',
        time: ''
      },
      {
        seq: 2,
        phase: 'building',
        message: 'Using DockerBuildPack builder',
        time: ''
      },
      {
        seq: 3,
        phase: 'built',
        message: 'Built r2d-alice/analysis:0123456789ab',
        time: ''
      }
    ];
    const sse = events.map(
      e => `id: ${e.seq}\nevent: log\ndata: ${JSON.stringify(e)}\n\n`
    );
    client.openLogStream.mockResolvedValue(
      new Response(sse.join(''), {
        headers: { 'Content-Type': 'text/event-stream' }
      })
    );
    client.listBuilds.mockResolvedValue([
      makeBuild({
        phase: 'built',
        progress: null,
        finishedAt: new Date().toISOString()
      })
    ]);
    client.listImages.mockResolvedValue([makeImage({ buildId: 'b1' })]);
    const log = new LogModel({ buildId: 'b1', source: client });
    viewers.push({ content: { model: log } });
    widgetAdded.emit(viewers[0]);
    await act(() => log.start());
    expect(log.phase).toBe('built');

    await waitFor(() =>
      expect(within(item).getByText('Built')).toBeInTheDocument()
    );
    expect(
      within(item).queryByRole('button', { name: /^Cancel/ })
    ).not.toBeInTheDocument();
    expect(
      screen.getByText('r2d-alice/analysis:0123456789ab')
    ).toBeInTheDocument();
    expect(client.listBuilds).toHaveBeenCalledTimes(2);
    log.dispose();
  });

  describe('build form', () => {
    it('posts the right body and opens the new build log', async () => {
      await renderLoaded();
      fireEvent.change(screen.getByLabelText('Repository URL'), {
        target: { value: ' https://github.com/alice/analysis ' }
      });
      fireEvent.change(screen.getByLabelText('Branch, tag or commit'), {
        target: { value: 'v1.0' }
      });
      fireEvent.change(screen.getByLabelText('Image name'), {
        target: { value: 'analysis' }
      });
      fireEvent.change(screen.getByLabelText('Subdirectory'), {
        target: { value: 'env' }
      });
      fireEvent.click(screen.getByLabelText('Rebuild even if built'));
      fireEvent.click(screen.getByRole('button', { name: 'Build' }));

      await waitFor(() => expect(client.startBuild).toHaveBeenCalledTimes(1));
      expect(client.startBuild.mock.calls[0][0]).toEqual({
        repo: 'https://github.com/alice/analysis',
        ref: 'v1.0',
        name: 'analysis',
        subdir: 'env',
        force: true
      });
      await waitFor(() =>
        expect(actions.openLogs).toHaveBeenCalledWith(
          'new',
          expect.stringMatching(/^analysis \d/)
        )
      );
    });

    it('sends only the repository when nothing else is given', async () => {
      await renderLoaded();
      fireEvent.change(screen.getByLabelText('Repository URL'), {
        target: { value: 'https://github.com/alice/analysis' }
      });
      fireEvent.submit(screen.getByRole('form'));
      await waitFor(() => expect(client.startBuild).toHaveBeenCalledTimes(1));
      expect(client.startBuild.mock.calls[0][0]).toEqual({
        repo: 'https://github.com/alice/analysis'
      });
    });

    it('includes push when the service has a registry', async () => {
      client.getInfo.mockResolvedValue({
        ...makeInfo(),
        registry: { url: 'registry.example.org', pushByDefault: true }
      });
      await renderLoaded();
      fireEvent.change(screen.getByLabelText('Repository URL'), {
        target: { value: 'https://github.com/alice/analysis' }
      });
      fireEvent.submit(screen.getByRole('form'));
      await waitFor(() => expect(client.startBuild).toHaveBeenCalledTimes(1));
      expect(client.startBuild.mock.calls[0][0]).toEqual({
        repo: 'https://github.com/alice/analysis',
        push: true
      });
    });

    it('shows a 400 next to the field it names and starts nothing', async () => {
      client.startBuild.mockRejectedValue(
        errorFromStatus(
          400,
          {
            code: 'invalid_field',
            message: 'ref must not contain ".."',
            field: 'ref'
          },
          'u',
          trans
        )
      );
      await renderLoaded();
      fireEvent.change(screen.getByLabelText('Repository URL'), {
        target: { value: 'https://github.com/alice/analysis' }
      });
      fireEvent.change(screen.getByLabelText('Branch, tag or commit'), {
        target: { value: 'a..b' }
      });
      fireEvent.click(screen.getByRole('button', { name: 'Build' }));

      const ref = screen.getByLabelText('Branch, tag or commit');
      // In plain words, saying what to do (not the service's 'ref must not contain ".."').
      await waitFor(() =>
        expect(ref).toHaveAccessibleDescription(
          /^This is not a branch, tag or commit name: use the name as git shows it/
        )
      );
      expect(ref).toHaveAttribute('aria-invalid', 'true');
      expect(screen.getByLabelText('Repository URL')).not.toHaveAttribute(
        'aria-invalid'
      );
      expect(actions.openLogs).not.toHaveBeenCalled();
      expect(model.builds).toHaveLength(0);
    });

    it('opens "Advanced" for an error about an advanced field', async () => {
      client.startBuild.mockRejectedValue(
        errorFromStatus(
          400,
          {
            code: 'invalid_field',
            message: 'subdir must be relative',
            field: 'subdir'
          },
          'u',
          trans
        )
      );
      await renderLoaded();
      fireEvent.change(screen.getByLabelText('Repository URL'), {
        target: { value: 'https://github.com/alice/analysis' }
      });
      fireEvent.change(screen.getByLabelText('Subdirectory'), {
        target: { value: '/etc' }
      });
      fireEvent.click(screen.getByRole('button', { name: 'Build' }));
      const subdir = screen.getByLabelText('Subdirectory');
      // An unknown message keeps its words, with the field's label instead of its API name.
      await waitFor(() =>
        expect(subdir).toHaveAccessibleDescription(
          'Subdirectory must be relative'
        )
      );
      expect(subdir.closest('details')).toHaveAttribute('open');
    });

    it('asks for a repository before posting anything', async () => {
      await renderLoaded();
      fireEvent.click(screen.getByRole('button', { name: 'Build' }));
      expect(
        await screen.findByText('Enter the URL of a repository.')
      ).toBeInTheDocument();
      expect(client.startBuild).not.toHaveBeenCalled();
    });

    it('says when the image is already built', async () => {
      client.startBuild.mockResolvedValue(
        makeBuild({ phase: 'built', alreadyBuilt: true })
      );
      await renderLoaded();
      fireEvent.change(screen.getByLabelText('Repository URL'), {
        target: { value: 'https://github.com/alice/analysis' }
      });
      fireEvent.click(screen.getByRole('button', { name: 'Build' }));
      expect(
        await screen.findByText(/^Already built: r2d-alice\/analysis/)
      ).toBeInTheDocument();
      expect(actions.openLogs).not.toHaveBeenCalled();
    });

    it('focuses and prefills the form on request', async () => {
      await renderLoaded();
      act(() =>
        model.requestForm({ repo: 'https://github.com/x/y', ref: 'dev' })
      );
      expect(screen.getByLabelText('Repository URL')).toHaveValue(
        'https://github.com/x/y'
      );
      expect(screen.getByLabelText('Branch, tag or commit')).toHaveValue('dev');
      // Once the sidebar is laid out (the next frame).
      await waitFor(() =>
        expect(screen.getByLabelText('Repository URL')).toHaveFocus()
      );
    });
  });
});
