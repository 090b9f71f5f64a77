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
import { HubClient } from '../hub/hubApi';
import { ServerLauncher } from '../hub/launcher';
import { EnvironmentsModel } from '../model';
import { FakeClient, makeBuild, makeImage } from './fakes';
import { FakeHub, hubPageConfig } from './hubFakes';
import { renderPanel } from './renderPanel';

const apputils = jest.requireMock('@jupyterlab/apputils');

describe('EnvironmentsPanel launch', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;
  let hub: FakeHub;
  let launcher: ServerLauncher;
  let opened: string[];
  let actions: {
    openLogs: jest.Mock;
    copy: jest.Mock<void, [string]>;
    reportError: jest.Mock<void, [unknown]>;
  };
  const image = makeImage();

  beforeEach(() => {
    client = new FakeClient();
    client.listImages.mockResolvedValue([image]);
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'b0', phase: 'built', image: image.name })
    ]);
    model = new EnvironmentsModel({ client });
    hub = new FakeHub();
    opened = [];
    launcher = hubLauncher(url => {
      opened.push(url);
      return {} as Window;
    });
    actions = {
      openLogs: jest.fn(),
      copy: jest.fn<void, [string]>(),
      reportError: jest.fn<void, [unknown]>()
    };
    apputils.showDialog.mockClear();
  });

  afterEach(() => {
    launcher.dispose();
    model.dispose();
  });

  /** A launcher on the fake hub, opening new tabs with `open`. */
  function hubLauncher(open: (url: string) => Window | null): ServerLauncher {
    return new ServerLauncher({
      model,
      hub: new HubClient({
        user: 'alice',
        pageConfig: hubPageConfig(),
        fetch: hub.fetch
      }),
      open
    });
  }

  function renderLoaded(withLauncher: ServerLauncher = launcher) {
    return renderPanel(model, actions, withLauncher);
  }

  /** The service answers the next build with the image it already has. */
  function answerAlreadyBuilt(): void {
    client.startBuild.mockResolvedValue(
      makeBuild({
        id: 'b0',
        phase: 'built',
        alreadyBuilt: true,
        image: image.name
      })
    );
  }

  /** Types the repository into the form and presses `button` (`Build` or `Build and start`). */
  function submitForm(button: string): void {
    fireEvent.change(screen.getByLabelText('Repository URL'), {
      target: { value: 'https://github.com/alice/analysis' }
    });
    fireEvent.click(screen.getByRole('button', { name: button }));
  }

  function clickStart(): void {
    fireEvent.click(
      screen.getByRole('button', { name: 'Start server in r2d-alice/analysis' })
    );
  }

  it('starts a server from an image, shows progress, then opens it', async () => {
    // The progress stream waits until the test has seen the progress bar.
    let release: () => void = () => undefined;
    const gate = new Promise<void>(resolve => (release = resolve));
    const inner = hub.fetch.getMockImplementation()!;
    hub.fetch.mockImplementation(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/progress')) {
        await gate;
      }
      return inner(url, init);
    });
    await renderLoaded();
    const start = screen.getByRole('button', {
      name: 'Start server in r2d-alice/analysis'
    });
    expect(start).toHaveTextContent('Start server');
    fireEvent.click(start);
    const bar = await screen.findByRole('progressbar', {
      name: /^Starting server analysis/
    });
    expect(bar).toBeInTheDocument();
    expect(
      screen.getByText('Asking the hub to start analysis…')
    ).toBeInTheDocument();
    await act(async () => {
      release();
    });
    await waitFor(() =>
      expect(opened).toEqual([
        `${window.location.origin}/user/alice/analysis/lab`
      ])
    );
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    await act(() => launcher.refresh());
    const section = screen.getByRole('region', { name: /Running servers/ });
    const open = within(section).getByRole('button', { name: 'Open analysis' });
    fireEvent.click(open);
    expect(opened).toHaveLength(2);
    fireEvent.click(
      within(section).getByRole('button', { name: 'Stop analysis' })
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('region', { name: /Running servers/ })
      ).not.toBeInTheDocument()
    );
    expect(hub.servers.size).toBe(0);
  });

  it('shows the hub’s latest progress message', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>(resolve => (release = resolve));
    hub.fetch.mockImplementation(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/progress')) {
        // A stream that sends one message and then waits.
        const encoder = new TextEncoder();
        const NodeReadableStream = (new Response('').body as any).constructor;
        const stream = new NodeReadableStream({
          async start(controller: ReadableStreamDefaultController<Uint8Array>) {
            controller.enqueue(
              encoder.encode(
                'data: {"progress": 40, "message": "Pulling image"}\n\n'
              )
            );
            await gate;
            controller.enqueue(
              encoder.encode(
                'data: {"progress": 100, "ready": true, "message": "ready", "url": "/user/alice/analysis/"}\n\n'
              )
            );
            controller.close();
          }
        });
        return new Response(stream, { status: 200 });
      }
      if ((init?.method ?? 'GET') === 'POST') {
        return new Response(null, { status: 202 });
      }
      return new Response(JSON.stringify({ name: 'alice', servers: {} }), {
        headers: { 'Content-Type': 'application/json' }
      });
    });
    await renderLoaded();
    clickStart();
    expect(await screen.findByText('Pulling image')).toBeInTheDocument();
    const bar = screen.getByRole('progressbar', { name: /^Starting server/ });
    expect(bar).toHaveAttribute('value', '40');
    await act(async () => release());
    await waitFor(() => expect(opened).toHaveLength(1));
  });

  it('says why a start failed, in the panel', async () => {
    hub.failStart = 'Image r2d-alice/analysis:0123456789ab not in allowed list';
    await renderLoaded();
    clickStart();
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'not in allowed list'
    );
    expect(opened).toEqual([]);
  });

  it('names the config lines when scopes are missing', async () => {
    hub.scopes = ['access:servers!server=alice/'];
    await renderLoaded();
    const note = await screen.findByRole('note');
    expect(note).toHaveTextContent(
      'start:servers, read:servers, delete:servers'
    );
    expect(note).toHaveTextContent('c.Spawner.oauth_client_allowed_scopes');
    expect(note).toHaveTextContent('start:servers!user');
    expect(note).toHaveTextContent('read:servers!user');
    expect(note).toHaveTextContent('delete:servers!user');
  });

  it('names the config line when named servers are off', async () => {
    hub.namedServers = false;
    await renderLoaded();
    clickStart();
    const note = await screen.findByRole('note');
    expect(note).toHaveTextContent('c.JupyterHub.allow_named_servers = True');
  });

  it('copies launch links of builds and images', async () => {
    await renderLoaded();
    fireEvent.click(
      screen.getByRole('button', {
        name: 'Copy launch link for r2d-alice/analysis'
      })
    );
    expect(actions.copy).toHaveBeenLastCalledWith(
      'http://localhost/services/repo2docker/launch?repo=https%3A%2F%2Fgithub.com%2Falice%2Fanalysis&ref=main'
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'Copy launch link for analysis' })
    );
    expect(actions.copy).toHaveBeenCalledTimes(2);
  });

  it('builds and starts: an already-built answer starts at once', async () => {
    answerAlreadyBuilt();
    await renderLoaded();
    submitForm('Build and start');
    await waitFor(() => expect(opened).toHaveLength(1));
    expect(hub.servers.get('analysis')?.user_options).toEqual({
      image: image.name
    });
  });

  it('"Build" alone starts nothing', async () => {
    answerAlreadyBuilt();
    await renderLoaded();
    submitForm('Build');
    await waitFor(() => expect(client.startBuild).toHaveBeenCalled());
    await act(async () => undefined);
    expect(hub.requests.filter(r => r.method === 'POST')).toHaveLength(0);
  });

  it('on a laptop shows the docker run command to copy', async () => {
    const laptop = new ServerLauncher({ model, hub: null });
    apputils.showDialog.mockResolvedValueOnce({
      button: { accept: true },
      value: null
    });
    await renderLoaded(laptop);
    expect(
      screen.queryByRole('button', { name: /Copy launch link/ })
    ).not.toBeInTheDocument();
    clickStart();
    await waitFor(() => expect(apputils.showDialog).toHaveBeenCalled());
    const options = apputils.showDialog.mock.calls[0][0];
    expect(options.title).toBe('Start JupyterLab in r2d-alice/analysis');
    expect(options.buttons.map((b: { label: string }) => b.label)).toEqual([
      'Close',
      'Copy'
    ]);
    render(options.body);
    expect(screen.getByLabelText('docker run command')).toHaveTextContent(
      'docker run --rm -it -p 127.0.0.1:8888:8888 r2d-alice/analysis:0123456789ab jupyter lab --ip=0.0.0.0 --port=8888'
    );
    await waitFor(() =>
      expect(actions.copy).toHaveBeenCalledWith(
        'docker run --rm -it -p 127.0.0.1:8888:8888 r2d-alice/analysis:0123456789ab jupyter lab --ip=0.0.0.0 --port=8888'
      )
    );
    laptop.dispose();
  });

  it('on a laptop, Build and start shows the command once built', async () => {
    const laptop = new ServerLauncher({ model, hub: null });
    answerAlreadyBuilt();
    await renderLoaded(laptop);
    submitForm('Build and start');
    await waitFor(() => expect(apputils.showDialog).toHaveBeenCalled());
    expect(apputils.showDialog.mock.calls[0][0].title).toBe(
      'Start JupyterLab in r2d-alice/analysis'
    );
    laptop.dispose();
  });

  it('offers a link when the browser blocks the new tab', async () => {
    launcher.dispose();
    launcher = hubLauncher(() => null);
    await renderLoaded();
    clickStart();
    const link = await screen.findByRole('link', { name: 'Open analysis' });
    expect(link).toHaveAttribute(
      'href',
      `${window.location.origin}/user/alice/analysis/lab`
    );
    expect(link).toHaveAttribute('target', '_blank');
  });
});
