import '@testing-library/jest-dom';
import './panelMocks';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within
} from '@testing-library/react';
import { errorFromStatus } from '../errors';
import { EnvironmentsModel, type IViewState } from '../model';
import { FakeClient, makeBuild } from './fakes';
import { renderPanel, trans } from './renderPanel';

const SECRET = 'ghp_SECRET_token_4711';

describe('build form: private repository and build arguments', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;
  let savedViews: IViewState[];
  let consoleSpies: jest.SpyInstance[];

  beforeEach(() => {
    client = new FakeClient();
    model = new EnvironmentsModel({ client });
    savedViews = [];
    // What the plugin writes to the state database is exactly what this signal carries.
    model.viewStateChanged.connect((_, state) => savedViews.push(state));
    consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map(
      method => jest.spyOn(console, method)
    );
  });

  afterEach(() => {
    model.dispose();
    consoleSpies.forEach(spy => spy.mockRestore());
  });

  function renderForm() {
    return renderPanel(model, { openLogs: jest.fn(), reportError: jest.fn() });
  }

  function fill(label: string, value: string, index = 0) {
    fireEvent.change(screen.getAllByLabelText(label)[index], {
      target: { value }
    });
  }

  function expectNoSecretAnywhere(view: { container: HTMLElement }) {
    expect(JSON.stringify(model.viewState)).not.toContain(SECRET);
    expect(JSON.stringify(savedViews)).not.toContain(SECRET);
    expect(model.takeFormRequest()).toBeNull();
    expect(JSON.stringify({ ...localStorage })).not.toContain(SECRET);
    expect(JSON.stringify({ ...sessionStorage })).not.toContain(SECRET);
    expect(view.container.innerHTML).not.toContain(SECRET);
    for (const spy of consoleSpies) {
      expect(JSON.stringify(spy.mock.calls)).not.toContain(SECRET);
    }
  }

  it('has Username, a password Token, the build-arguments editor and the history warning', async () => {
    await renderForm();
    expect(screen.getByLabelText('Username')).toHaveAttribute('type', 'text');
    const token = screen.getByLabelText('Token');
    expect(token).toHaveAttribute('type', 'password');
    expect(token).toHaveAttribute('autocomplete', 'new-password');
    expect(
      screen.getByText(/readable in the image's history/)
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Add build argument' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add build argument' }));
    expect(screen.getAllByLabelText('Build argument name')).toHaveLength(2);
    expect(screen.getAllByLabelText('Build argument value')).toHaveLength(2);
    fill('Build argument name', 'SECOND', 1);
    fireEvent.click(
      screen.getByRole('button', { name: 'Remove build argument 1' })
    );
    expect(screen.getAllByLabelText('Build argument name')).toHaveLength(1);
    expect(screen.getByLabelText('Build argument name')).toHaveValue('SECOND');
  });

  it('sends credentials and build arguments once, then forgets the token; it is stored nowhere', async () => {
    const view = await renderForm();
    fill('Repository URL', 'https://git.example.org/private.git');
    fill('Username', 'alice');
    fill('Token', SECRET);
    fireEvent.click(screen.getByRole('button', { name: 'Add build argument' }));
    fill('Build argument name', 'PYTHON_VERSION');
    fill('Build argument value', '3.12');
    // Typed, the token is the input's value but not in the page's HTML (no value attribute).
    expect(screen.getByLabelText('Token')).toHaveValue(SECRET);
    expect(view.container.innerHTML).not.toContain(SECRET);
    // View choices change meanwhile (and are saved): still without the token.
    act(() => model.setCollapsed('builds', true));
    fireEvent.click(screen.getByRole('button', { name: 'Build' }));

    await waitFor(() => expect(client.startBuild).toHaveBeenCalledTimes(1));
    expect(client.startBuild.mock.calls[0][0]).toEqual({
      repo: 'https://git.example.org/private.git',
      credentials: { username: 'alice', password: SECRET },
      buildArgs: { PYTHON_VERSION: '3.12' }
    });
    await waitFor(() => expect(screen.getByLabelText('Token')).toHaveValue(''));
    // The user name is not a secret and stays for the next build.
    expect(screen.getByLabelText('Username')).toHaveValue('alice');
    expect(savedViews.length).toBeGreaterThan(0);
    expectNoSecretAnywhere(view);
  });

  it('forgets the token after a refused request too', async () => {
    client.startBuild.mockRejectedValueOnce(
      errorFromStatus(
        400,
        {
          code: 'invalid_field',
          message: 'authentication failed for git.example.org',
          field: 'repo'
        },
        'http://localhost/',
        trans
      )
    );
    const view = await renderForm();
    fill('Repository URL', 'https://git.example.org/private.git');
    fill('Username', 'alice');
    fill('Token', SECRET);
    fireEvent.click(screen.getByRole('button', { name: 'Build' }));
    await waitFor(() => expect(client.startBuild).toHaveBeenCalled());
    await waitFor(() => expect(screen.getByLabelText('Token')).toHaveValue(''));
    expectNoSecretAnywhere(view);
  });

  it('checks build arguments before sending, and names the field', async () => {
    await renderForm();
    fill('Repository URL', 'https://github.com/a/b');
    fireEvent.click(screen.getByRole('button', { name: 'Add build argument' }));
    fill('Build argument name', '9LIVES');
    fill('Build argument value', 'x');
    fireEvent.click(screen.getByRole('button', { name: 'Build' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Build argument name "9LIVES"');
    expect(client.startBuild).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Build argument name')).toHaveAttribute(
      'aria-invalid',
      'true'
    );
    expect(
      screen.getByLabelText('Build argument name')
    ).toHaveAccessibleDescription(/9LIVES/);
    // Fixing the name clears the message.
    fill('Build argument name', 'LIVES');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('refuses a value over 4 KiB and a token without a username before sending', async () => {
    await renderForm();
    fill('Repository URL', 'https://github.com/a/b');
    fireEvent.click(screen.getByRole('button', { name: 'Add build argument' }));
    fill('Build argument name', 'BIG');
    fill('Build argument value', 'x'.repeat(4097));
    fireEvent.click(screen.getByRole('button', { name: 'Build' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Build argument value of BIG'
    );
    fill('Build argument value', 'small');
    fill('Token', SECRET);
    fireEvent.click(screen.getByRole('button', { name: 'Build' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/^Username: /);
    expect(alert).not.toHaveTextContent(SECRET);
    expect(client.startBuild).not.toHaveBeenCalled();
  });

  it("shows the service's 400 about a build argument at its row", async () => {
    client.startBuild.mockRejectedValueOnce(
      errorFromStatus(
        400,
        {
          code: 'invalid_field',
          message:
            'NB_UID is set by repo2docker or BuildKit and cannot be given',
          field: 'buildArgs.OTHER'
        },
        'http://localhost/',
        trans
      )
    );
    await renderForm();
    fill('Repository URL', 'https://github.com/a/b');
    fireEvent.click(screen.getByRole('button', { name: 'Add build argument' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add build argument' }));
    fill('Build argument name', 'FIRST', 0);
    fill('Build argument name', 'OTHER', 1);
    fireEvent.click(screen.getByRole('button', { name: 'Build' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/^Build arguments: NB_UID is set/);
    expect(screen.getAllByLabelText('Build argument name')[1]).toHaveAttribute(
      'aria-invalid',
      'true'
    );
    expect(
      screen.getAllByLabelText('Build argument name')[0]
    ).not.toHaveAttribute('aria-invalid');
  });

  it("shows a build's argument names (not values) and that it is private", async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({
        private: true,
        buildArgs: { PYTHON_VERSION: '3.12', A_FLAG: 'on-value' }
      })
    ]);
    await renderForm();
    const build = screen.getByRole('listitem', { name: /^Build / });
    expect(within(build).getByText('private')).toBeInTheDocument();
    expect(
      within(build).getByText('build arguments: A_FLAG, PYTHON_VERSION')
    ).toBeInTheDocument();
    expect(build).not.toHaveTextContent('on-value');
  });
});
