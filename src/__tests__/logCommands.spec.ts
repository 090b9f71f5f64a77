/**
 * The log viewer's actions are commands with default shortcuts from schema/plugin.json: they act
 * on the current log viewer, only inside it, and leave JupyterLab's own find (Accel F on
 * `.jp-mod-searchable`) to the widgets it searches.
 */
import type { BuildLogEvent } from '@jupyterlab-repo2docker/service/contract';
import { Widget } from '@lumino/widgets';
import schema from '../../schema/plugin.json';
import { CommandIDs } from '../commands';
import { LOG_ACTION_COMMANDS } from '../logCommands';
import { BuildLogWidget, LogViewClasses, type ILogStreamSource } from '../logs';
import { withLogShortcuts, type ILogShortcuts } from './logs/shortcuts';

/** A source whose stream never opens: the tests feed the model directly. */
const silent: ILogStreamSource = {
  openLogStream: () => new Promise<Response>(() => undefined)
};

let seq = 0;
function ev(message: string): BuildLogEvent {
  seq++;
  return { seq, phase: 'building', message, time: new Date().toISOString() };
}

/** jsdom does no layout: give the viewport a size. */
function sizeViewport(widget: BuildLogWidget, height = 170): HTMLElement {
  const viewport = widget.node.querySelector(
    `.${LogViewClasses.viewport}`
  ) as HTMLElement;
  Object.defineProperty(viewport, 'clientHeight', {
    configurable: true,
    get: () => height
  });
  Object.defineProperty(viewport, 'clientWidth', {
    configurable: true,
    get: () => 800
  });
  Object.defineProperty(viewport, 'scrollHeight', {
    configurable: true,
    get: () =>
      parseFloat((viewport.firstChild as HTMLElement).style.height || '0')
  });
  return viewport;
}

/** Press keys on `target` (bubbling to the document, where the registry listens). */
function press(
  target: Element,
  init: KeyboardEventInit & { keyCode: number }
): KeyboardEvent {
  const event = new KeyboardEvent('keydown', {
    bubbles: true,
    cancelable: true,
    ...init
  });
  target.dispatchEvent(event);
  return event;
}

const KEY = { F: 70, G: 71, S: 83, C: 67, E: 69, Home: 36, End: 35 } as const;

describe('log action commands', () => {
  let widget: BuildLogWidget;
  let keys: ILogShortcuts;
  let viewport: HTMLElement;

  beforeEach(() => {
    widget = new BuildLogWidget({
      buildId: 'b1',
      label: 'demo',
      source: silent
    });
    Widget.attach(widget, document.body);
    viewport = sizeViewport(widget);
    const lines = Array.from({ length: 300 }, (_, i) =>
      i === 150 ? 'ERROR: failed to solve: exit code: 3' : `line ${i} ok`
    );
    widget.content.model.appendEvents([ev(lines.join('\n'))]);
    widget.content.renderNow();
    keys = withLogShortcuts(widget);
  });

  afterEach(() => {
    keys.dispose();
    widget.dispose();
  });

  it('gives every action a default shortcut in the schema, scoped to the log viewer', () => {
    const shortcuts = schema['jupyter.lab.shortcuts'];
    for (const id of LOG_ACTION_COMMANDS) {
      const shortcut = shortcuts.find(s => s.command === id);
      expect(shortcut).toBeDefined();
      expect([
        `.${'jp-Repo2DockerLogWidget'}`,
        `.${LogViewClasses.viewport}`
      ]).toContain(shortcut!.selector);
      expect(keys.commands.hasCommand(id)).toBe(true);
    }
  });

  it('moves with Accel Home and Accel End in the log, not in the search field', () => {
    expect(widget.content.following).toBe(true);
    let event = press(viewport, {
      key: 'Home',
      keyCode: KEY.Home,
      ctrlKey: true
    });
    expect(event.defaultPrevented).toBe(true);
    widget.content.renderNow();
    expect(widget.content.following).toBe(false);
    expect(viewport.scrollTop).toBe(0);

    event = press(viewport, { key: 'End', keyCode: KEY.End, ctrlKey: true });
    expect(event.defaultPrevented).toBe(true);
    expect(widget.content.following).toBe(true);
    expect(viewport.scrollTop).toBeGreaterThan(0);

    widget.content.toggleSearch(true);
    const input = widget.node.querySelector(`.${LogViewClasses.searchInput}`)!;
    event = press(input, { key: 'Home', keyCode: KEY.Home, ctrlKey: true });
    expect(event.defaultPrevented).toBe(false);
    expect(widget.content.following).toBe(true);
  });

  it('finds with Accel F, then goes through the matches with Accel G and Accel Shift G', () => {
    press(viewport, { key: 'f', keyCode: KEY.F, ctrlKey: true });
    expect(widget.content.searchVisible).toBe(true);
    widget.content.search('ok');
    const model = widget.content.model;
    const first = model.search.current;
    const input = widget.node.querySelector(`.${LogViewClasses.searchInput}`)!;
    // From the search field too: the binding is on the whole viewer.
    expect(
      press(input, { key: 'g', keyCode: KEY.G, ctrlKey: true }).defaultPrevented
    ).toBe(true);
    expect(model.search.current).toBe(first + 1);
    press(input, { key: 'G', keyCode: KEY.G, ctrlKey: true, shiftKey: true });
    expect(model.search.current).toBe(first);
  });

  it('goes to the first error with Accel Alt E, and is disabled without one', () => {
    press(viewport, { key: 'e', keyCode: KEY.E, ctrlKey: true, altKey: true });
    widget.content.renderNow();
    const marked = Array.from(
      widget.node.querySelectorAll<HTMLElement>(`.${LogViewClasses.errorLine}`)
    ).filter(row => row.style.display !== 'none');
    expect(marked.map(row => row.firstChild!.textContent)).toEqual(['151']);
    expect(widget.content.following).toBe(false);

    const clean = new BuildLogWidget({
      buildId: 'b2',
      label: 'clean',
      source: silent
    });
    clean.content.model.appendEvents([ev('all good')]);
    keys.setCurrent(clean);
    expect(keys.commands.isEnabled(CommandIDs.logFirstError)).toBe(false);
    expect(keys.commands.isEnabled(CommandIDs.logCopy)).toBe(true);
    keys.setCurrent(null);
    expect(keys.commands.isEnabled(CommandIDs.logCopy)).toBe(false);
    clean.dispose();
  });

  it('copies with Accel Alt C and downloads with Accel S', async () => {
    const copy = jest.spyOn(widget.content, 'copyLog').mockResolvedValue(true);
    const download = jest
      .spyOn(widget.content, 'downloadLog')
      .mockImplementation(() => undefined);
    press(viewport, { key: 'c', keyCode: KEY.C, ctrlKey: true, altKey: true });
    expect(copy).toHaveBeenCalledTimes(1);
    // Accel S saves documents elsewhere; in the log viewer it saves the log.
    const event = press(viewport, { key: 's', keyCode: KEY.S, ctrlKey: true });
    expect(event.defaultPrevented).toBe(true);
    expect(download).toHaveBeenCalledTimes(1);
  });

  it("leaves Accel F to JupyterLab's find outside the log viewer", () => {
    // JupyterLab's own binding, as documentsearch-extension declares it.
    const jupyterFind = jest.fn();
    keys.commands.addCommand('documentsearch:start', { execute: jupyterFind });
    keys.commands.addKeyBinding({
      command: 'documentsearch:start',
      keys: ['Accel F'],
      selector: '.jp-mod-searchable'
    });
    const notebook = document.createElement('div');
    notebook.className = 'jp-Notebook jp-mod-searchable';
    const cell = document.createElement('div');
    cell.tabIndex = 0;
    notebook.appendChild(cell);
    document.body.appendChild(notebook);
    try {
      press(cell, { key: 'f', keyCode: KEY.F, ctrlKey: true });
      expect(jupyterFind).toHaveBeenCalledTimes(1);
      expect(widget.content.searchVisible).toBe(false);

      press(viewport, { key: 'f', keyCode: KEY.F, ctrlKey: true });
      expect(jupyterFind).toHaveBeenCalledTimes(1);
      expect(widget.content.searchVisible).toBe(true);
    } finally {
      notebook.remove();
    }
  });
});
