/**
 * The log action commands with the default shortcuts of schema/plugin.json, dispatched from
 * document keydown events the way JupyterLab's application does.
 */

import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import schema from '../../../schema/plugin.json';
import { addLogActionCommands } from '../../logCommands';
import type { BuildLogWidget } from '../../logs';
import { nullTranslator } from '@jupyterlab/translation';

export interface ILogShortcuts {
  commands: CommandRegistry;
  /** Make `widget` the current log viewer (`null`: none). */
  setCurrent(widget: BuildLogWidget | null): void;
  dispose(): void;
}

/** The schema's shortcuts as key bindings of `commands`. */
export function addSchemaShortcuts(commands: CommandRegistry): void {
  for (const shortcut of schema['jupyter.lab.shortcuts']) {
    commands.addKeyBinding(shortcut);
  }
}

export function withLogShortcuts(widget: BuildLogWidget | null): ILogShortcuts {
  const commands = new CommandRegistry();
  const tracker = {
    currentWidget: widget,
    currentChanged: new Signal<unknown, BuildLogWidget | null>({})
  };
  addLogActionCommands(commands, {
    tracker: tracker as never,
    trans: nullTranslator.load('jupyterlab_repo2docker')
  });
  addSchemaShortcuts(commands);
  const listener = (event: KeyboardEvent) =>
    commands.processKeydownEvent(event);
  document.addEventListener('keydown', listener);
  return {
    commands,
    setCurrent: w => {
      tracker.currentWidget = w;
      tracker.currentChanged.emit(w);
    },
    dispose: () => document.removeEventListener('keydown', listener)
  };
}
