/**
 * `repo2docker:build-folder` (issue 18): enabled on exactly one selected folder, what it sends to
 * the Jupyter server extension (through the server connection: token and XSRF), what it does with
 * the answer (log opened, build watched, panel refreshed), and each refusal in plain words. Also
 * the panel's parts: "From folder…" in the form, `folder <path>` on a folder image, and Rebuild
 * of a folder image going to the folder again.
 */
import '@testing-library/jest-dom';
import type { Build } from '@jupyterlab-repo2docker/service/contract';
import { ContentsManager, Drive, ServerConnection } from '@jupyterlab/services';
import type { Contents } from '@jupyterlab/services';
import { CommandRegistry } from '@lumino/commands';
import { fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';
import { FakeClient, makeBuild, makeImage, makeInfo } from './fakes';

const getText = jest.fn();
jest.mock('@jupyterlab/apputils', () => {
  const mocks = jest.requireActual('./uiMocks').apputils;
  return {
    ...mocks,
    InputDialog: { getText: (...args: unknown[]) => getText(...args) },
    Notification: {
      ...mocks.Notification,
      emit: jest.fn(() => 'pending'),
      dismiss: jest.fn()
    },
    WidgetTracker: class {}
  };
});
jest.mock(
  '@jupyterlab/ui-components',
  () => jest.requireActual('./uiMocks').uiComponents
);
jest.mock('../logs', () => ({ BuildLogWidget: class {} }));
jest.mock('../icons', () => ({ environmentsIcon: {} }));

// jest hoists the mocks above these imports.
import { Notification } from '@jupyterlab/apputils';
import { CommandIDs } from '../commands';
import { BuildForm } from '../components/BuildForm';
import { folderError } from '../folderErrors';
import { addFolderBuildCommand, BUILD_FOLDER } from '../folderBuild';
import { EnvironmentsModel } from '../model';
import { renderImageItem, renderPanel, trans } from './renderPanel';

const DIGEST = 'sha256:' + 'ab12cd34ef56'.repeat(5) + 'abcd';

function folderBuild(overrides: Partial<Build> = {}): Build {
  return makeBuild({
    id: 'fb1',
    repo: '',
    ref: '',
    commit: '',
    name: 'demo',
    phase: 'queued',
    folder: { path: 'projects/demo', digest: DIGEST },
    ...overrides
  });
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

function item(path: string, type: 'directory' | 'file'): Contents.IModel {
  return { name: path.split('/').pop(), path, type } as Contents.IModel;
}

function setUp(answer: () => Response = () => json(folderBuild(), 202)) {
  const commands = new CommandRegistry();
  const opened = jest.fn();
  commands.addCommand(CommandIDs.openLogs, { execute: opened });
  const fetch = jest.fn(async (_request: Request) => answer());
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/user/alice/',
    token: 'server-token',
    fetch: fetch as unknown as typeof globalThis.fetch
  });
  const contents = new ContentsManager({ serverSettings });
  contents.addDrive(new Drive({ name: 'S3', serverSettings }));
  const info = makeInfo();
  (info.limits as unknown as Record<string, number>).uploadMaxBytes = 52428800;
  const model = {
    watch: jest.fn(),
    refresh: jest.fn(async () => undefined),
    info
  };
  const selection: Contents.IModel[] = [];
  const source = {
    selectedItems: () => selection,
    currentDirectory: () => 'projects'
  };
  addFolderBuildCommand({
    commands,
    serverSettings,
    contents,
    model: model as never,
    source,
    trans
  });
  return { commands, opened, fetch, model, selection };
}

async function sent(fetch: jest.Mock): Promise<{
  url: string;
  method: string;
  body: unknown;
  headers: Headers;
}> {
  const request = fetch.mock.calls[0][0] as Request;
  return {
    url: request.url,
    method: request.method,
    body: JSON.parse(await request.text()),
    headers: request.headers
  };
}

beforeEach(() => {
  getText.mockReset();
  jest.mocked(Notification.error).mockClear();
  jest.mocked(Notification.info).mockClear();
});

describe('repo2docker:build-folder', () => {
  it('is labelled as the contract says and enabled only on exactly one selected folder', () => {
    const { commands, selection } = setUp();
    expect(commands.label(BUILD_FOLDER)).toBe(
      'Build environment from this folder'
    );
    expect(commands.isEnabled(BUILD_FOLDER)).toBe(false);
    selection.push(item('notes.ipynb', 'file'));
    expect(commands.isEnabled(BUILD_FOLDER)).toBe(false);
    selection.splice(0, 1, item('projects/demo', 'directory'));
    expect(commands.isEnabled(BUILD_FOLDER)).toBe(true);
    selection.push(item('projects/other', 'directory'));
    expect(commands.isEnabled(BUILD_FOLDER)).toBe(false);
    // With a path, or asking, it needs no selection.
    expect(commands.isEnabled(BUILD_FOLDER, { path: 'x' })).toBe(true);
    expect(commands.isEnabled(BUILD_FOLDER, { ask: true })).toBe(true);
  });

  it("posts the selected folder's path to the server extension with the server's credentials, then opens the log and refreshes the panel", async () => {
    const { commands, selection, fetch, opened, model } = setUp();
    selection.push(item('projects/demo', 'directory'));
    // Under JupyterHub the page authenticates with the hub's cookie and the XSRF token.
    document.cookie = '_xsrf=xsrf-value';
    const id = await commands.execute(BUILD_FOLDER);
    expect(id).toBe('fb1');
    const request = await sent(fetch);
    expect(request.method).toBe('POST');
    // (JupyterLab's connection adds a cache-busting query.)
    expect(request.url.split('?')[0]).toBe(
      'http://localhost:8888/user/alice/jupyterlab-repo2docker/folder-build'
    );
    expect(request.body).toEqual({ path: 'projects/demo' });
    expect(request.headers.get('Authorization')).toBe('token server-token');
    expect(request.headers.get('X-XSRFToken')).toBe('xsrf-value');
    expect(request.headers.get('Content-Type')).toBe('application/json');
    expect(opened).toHaveBeenCalledWith(
      expect.objectContaining({ buildId: 'fb1' })
    );
    expect(model.watch).toHaveBeenCalledWith('fb1');
    expect(model.refresh).toHaveBeenCalled();
    expect(Notification.error).not.toHaveBeenCalled();
  });

  it('sends name and force when given (a folder image rebuilt)', async () => {
    const { commands, fetch } = setUp();
    await commands.execute(BUILD_FOLDER, {
      path: 'projects/demo',
      name: 'demo',
      force: true
    });
    expect((await sent(fetch)).body).toEqual({
      path: 'projects/demo',
      name: 'demo',
      force: true
    });
  });

  it('says "already built" and opens no log when the service had the image', async () => {
    const { commands, opened, fetch } = setUp(() =>
      json(folderBuild({ alreadyBuilt: true, phase: 'built' }), 200)
    );
    await commands.execute(BUILD_FOLDER, { path: 'projects/demo' });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(opened).not.toHaveBeenCalled();
    expect(Notification.info).toHaveBeenCalledWith(
      'Already built: r2d-alice/analysis:0123456789ab',
      expect.anything()
    );
  });

  it("asks which folder, starting at the file browser's directory, from the form's button", async () => {
    const { commands, fetch } = setUp();
    getText.mockResolvedValueOnce({ button: { accept: false }, value: null });
    await commands.execute(BUILD_FOLDER, { ask: true });
    expect(getText).toHaveBeenCalledWith(
      expect.objectContaining({ text: 'projects' })
    );
    expect(getText.mock.calls[0][0].label).toContain('52.4 MB');
    expect(fetch).not.toHaveBeenCalled();

    getText.mockResolvedValueOnce({
      button: { accept: true },
      value: ' projects/other '
    });
    await commands.execute(BUILD_FOLDER, { ask: true });
    expect((await sent(fetch)).body).toEqual({ path: 'projects/other' });
  });

  it('refuses a folder of another drive without asking the server', async () => {
    const { commands, fetch } = setUp();
    await commands.execute(BUILD_FOLDER, { path: 'S3:bucket/demo' });
    expect(fetch).not.toHaveBeenCalled();
    expect(jest.mocked(Notification.error).mock.calls[0][0]).toContain(
      'another drive (S3)'
    );
  });

  it('shows a refusal as an error notification in plain words, naming the folder', async () => {
    const { commands, opened } = setUp(() =>
      json(
        {
          error: {
            code: 'link_outside',
            message: "'data' is a symlink that leads outside the folder",
            field: 'path'
          }
        },
        400
      )
    );
    await commands.execute(BUILD_FOLDER, { path: 'projects/demo' });
    expect(opened).not.toHaveBeenCalled();
    const text = jest.mocked(Notification.error).mock.calls[0][0];
    expect(text).toContain('Could not build the folder projects/demo:');
    expect(text).toContain(
      "A symbolic link in the folder leads outside it: 'data' is a symlink"
    );
    expect(text).toContain('.dockerignore');
  });
});

describe('folder build errors in plain words', () => {
  const where = 'http://localhost:8888/jupyterlab-repo2docker/folder-build';
  const words = (status: number, body: unknown) =>
    folderError(
      status,
      typeof body === 'string' ? body : JSON.stringify(body),
      where,
      trans
    );

  it('names the size limit in megabytes and how to leave files out', () => {
    const error = words(413, {
      error: {
        code: 'too_large',
        message: 'the folder holds more than 52428800 bytes to upload',
        field: 'path'
      }
    });
    expect(error.kind).toBe('too_large');
    expect(error.message).toBe(
      'The folder is too large to build: it holds more than 52.4 MB to upload, the most this service takes.'
    );
    expect(error.diagnosis).toContain('.dockerignore or .gitignore');
  });

  it('names the file-count limit', () => {
    const error = words(413, {
      error: {
        code: 'too_many_files',
        message: 'the folder has more than 1000 files and directories to upload'
      }
    });
    expect(error.message).toContain('more than 1000 files and folders');
    expect(error.status).toBe(413);
  });

  it('says the service takes no folders (501 uploads_unsupported)', () => {
    const error = words(501, {
      error: { code: 'uploads_unsupported', message: 'no upload limits' }
    });
    expect(error.message).toBe(
      'The repo2docker service does not take folders: it announces no upload limits.'
    );
  });

  it('tells the admin which setting is missing (503 service_url_unknown)', () => {
    const error = words(503, {
      error: { code: 'service_url_unknown', message: 'set it' }
    });
    expect(error.kind).toBe('unreachable');
    expect(error.diagnosis).toContain(
      'c.Spawner.environment["REPO2DOCKER_SERVICE_URL"]'
    );
  });

  it('says the server cannot reach the service (502 service_unreachable)', () => {
    const error = words(502, {
      error: { code: 'service_unreachable', message: 'cannot be reached' }
    });
    expect(error.message).toBe(
      'This Jupyter server cannot reach the repo2docker service to upload the folder.'
    );
  });

  it("gives the service's relayed refusals the panel's words (a missing scope)", () => {
    const error = words(403, {
      error: {
        code: 'missing_scope',
        message: 'missing custom:repo2docker:build',
        scope: 'custom:repo2docker:build'
      }
    });
    expect(error.kind).toBe('missing_scope');
    expect(error.message).toBe(
      'Your token lacks the scope custom:repo2docker:build.'
    );
  });

  it('says the server extension is not enabled when the route is missing (HTML 404)', () => {
    const error = words(404, '<html>404 Not Found</html>');
    expect(error.message).toContain('server extension is not enabled');
  });

  it('keeps the image-name refusal as a field error of "name"', () => {
    const error = words(400, {
      error: { code: 'bad_name', message: 'name must match', field: 'name' }
    });
    expect(error.kind).toBe('invalid');
    expect(error.field).toBe('name');
  });
});

describe('the panel and folders', () => {
  it('offers "From folder…" in the form only when the service takes uploads', async () => {
    const client = new FakeClient();
    const model = new EnvironmentsModel({ client });
    await model.refresh();
    const onBuildFolder = jest.fn();
    const { unmount } = render(
      <BuildForm model={model} trans={trans} onBuildFolder={onBuildFolder} />
    );
    expect(screen.queryByRole('button', { name: 'From folder…' })).toBeNull();
    unmount();

    const info = makeInfo();
    (info.limits as unknown as Record<string, number>).uploadMaxBytes = 1000;
    client.getInfo.mockResolvedValue(info);
    await model.refresh({ force: true });
    render(
      <BuildForm model={model} trans={trans} onBuildFolder={onBuildFolder} />
    );
    fireEvent.click(screen.getByRole('button', { name: 'From folder…' }));
    expect(onBuildFolder).toHaveBeenCalledTimes(1);
    model.dispose();
  });

  it('shows a folder image as "folder <path>" with the digest\'s first 12 hex digits', () => {
    renderImageItem(
      makeImage({
        repo: '',
        ref: '',
        commit: '',
        folder: { path: 'projects/demo', digest: DIGEST }
      })
    );
    expect(screen.getByText('folder projects/demo')).toBeInTheDocument();
    expect(screen.getByText('ab12cd34ef56')).toHaveAttribute('title', DIGEST);
  });

  it('rebuilds a folder image from its folder, with its name, forced', async () => {
    const client = new FakeClient();
    const image = makeImage({
      repo: '',
      displayName: 'Demo',
      folder: { path: 'projects/demo', digest: DIGEST }
    });
    client.listImages.mockResolvedValue([image]);
    const model = new EnvironmentsModel({ client });
    const buildFolder = jest.fn();
    await renderPanel(model, { openLogs: jest.fn(), buildFolder });
    const card = screen
      .getByText('folder projects/demo')
      .closest('li') as HTMLElement;
    fireEvent.click(within(card).getByRole('button', { name: /^Rebuild/ }));
    expect(buildFolder).toHaveBeenCalledWith({
      path: 'projects/demo',
      name: 'analysis',
      force: true
    });
    expect(client.startBuild).not.toHaveBeenCalled();
    model.dispose();
  });
});
