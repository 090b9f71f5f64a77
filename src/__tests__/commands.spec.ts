/**
 * The palette's "Open Build Log…" picks a build from a list (no build id to type), and one
 * viewer per build: opening it again focuses the open one.
 */
import { CommandRegistry } from '@lumino/commands';
import { nullTranslator } from '@jupyterlab/translation';
import { FakeClient, makeBuild } from './fakes';

const getItem = jest.fn();
jest.mock('@jupyterlab/apputils', () => ({
  ...jest.requireActual('./uiMocks').apputils,
  InputDialog: { getItem: (...args: unknown[]) => getItem(...args) },
  WidgetTracker: class {}
}));
jest.mock('../logs', () => ({
  BuildLogWidget: class {
    constructor(readonly options: { buildId: string; label: string }) {
      this.buildId = options.buildId;
      this.id = `log-${options.buildId}`;
    }
    buildId: string;
    id: string;
    isAttached = false;
    title = { label: '' };
  }
}));
jest.mock('../icons', () => ({ environmentsIcon: {} }));

// jest hoists the mocks above this import.
import { addLogCommands, CommandIDs } from '../commands';

const trans = nullTranslator.load('jupyterlab_repo2docker');

describe('repo2docker:open-logs', () => {
  function setUp() {
    const commands = new CommandRegistry();
    const shell = { add: jest.fn(), activateById: jest.fn() };
    const widgets: Array<{ buildId: string; id: string }> = [];
    const tracker = {
      find: (fn: (w: { buildId: string }) => boolean) => widgets.find(fn),
      add: jest.fn(async (w: { buildId: string; id: string }) => {
        widgets.push(w);
      })
    };
    const client = new FakeClient();
    addLogCommands({ commands, shell } as never, {
      client,
      tracker: tracker as never,
      translator: nullTranslator,
      trans
    });
    return { commands, shell, client, widgets };
  }

  beforeEach(() => getItem.mockReset());

  it('asks which build, from a list of names, times and phases, newest first', async () => {
    const { commands, client, shell } = setUp();
    client.listBuilds.mockResolvedValue([
      makeBuild({
        id: 'old',
        name: 'ok',
        phase: 'built',
        createdAt: '2026-01-01T10:00:00Z'
      }),
      makeBuild({
        id: 'new',
        name: 'ok',
        phase: 'failed',
        createdAt: '2026-01-01T11:00:00Z'
      }),
      makeBuild({
        id: 'nolog',
        name: 'gone',
        phase: 'built',
        logAvailable: false
      })
    ]);
    getItem.mockImplementation(async (options: { items: string[] }) => ({
      button: { accept: true },
      value: options.items[0]
    }));
    const widget = (await commands.execute(CommandIDs.openLogs, {})) as {
      buildId: string;
    };
    const items: string[] = getItem.mock.calls[0][0].items;
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/^ok .* · Failed$/);
    expect(items[1]).toMatch(/^ok .* · Built$/);
    expect(items[0]).not.toBe(items[1]);
    expect(widget.buildId).toBe('new');
    expect(shell.add).toHaveBeenCalledTimes(1);
  });

  it('focuses the open viewer of a build instead of opening a second one', async () => {
    const { commands, shell } = setUp();
    await commands.execute(CommandIDs.openLogs, {
      buildId: 'b1',
      label: 'ok 10:00:00'
    });
    await commands.execute(CommandIDs.openLogs, {
      buildId: 'b1',
      label: 'ok 10:00:00'
    });
    expect(shell.add).toHaveBeenCalledTimes(1);
    expect(shell.activateById).toHaveBeenLastCalledWith('log-b1');
  });

  it('does nothing when the picker is cancelled', async () => {
    const { commands, client, shell } = setUp();
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'x', phase: 'built' })
    ]);
    getItem.mockResolvedValue({ button: { accept: false }, value: null });
    await commands.execute(CommandIDs.openLogs, {});
    expect(shell.add).not.toHaveBeenCalled();
  });
});
