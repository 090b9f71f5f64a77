/**
 * The log viewer's actions as commands (find, next/previous match, copy, download, top, latest,
 * first error), acting on the current log viewer. Their default shortcuts are in
 * schema/plugin.json, where users can rebind them (Settings → Keyboard Shortcuts).
 *
 * The shortcuts' selectors keep them inside the log viewer: JupyterLab's own find
 * (`documentsearch:start`, Accel F) is bound on `.jp-mod-searchable`, which JupyterLab puts only on
 * widgets it has a search provider for; the log viewer has none (its viewport renders only the
 * rows on screen, so a DOM search would miss the rest), and its own Accel F is bound on
 * `.jp-Repo2DockerLogWidget`. Each find works where it belongs: JupyterLab's in notebooks and
 * editors, this one in the log (where the browser's own find would see only the rendered rows).
 * Keys that move in the log (Accel Home/End, first error) and copy (Accel Alt C, which is AltGr+C
 * on some layouts) are bound on its viewport only, so that they keep their meaning in the search
 * field.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { CommandIDs, paletteCategory } from './commands';
import type { BuildLogView } from './logs';
import type { IBuildLogTracker } from './tokens';

/** The log action commands, in palette order. */
export const LOG_ACTION_COMMANDS = [
  CommandIDs.logFind,
  CommandIDs.logFindNext,
  CommandIDs.logFindPrevious,
  CommandIDs.logFirstError,
  CommandIDs.logTop,
  CommandIDs.logLatest,
  CommandIDs.logCopy,
  CommandIDs.logDownload
] as const;

/** Add the log action commands (and their palette entries). */
export function addLogActionCommands(
  commands: JupyterFrontEnd['commands'],
  options: {
    tracker: IBuildLogTracker;
    trans: TranslationBundle;
    palette?: ICommandPalette | null;
  }
): void {
  const { tracker, trans, palette } = options;
  const current = (): BuildLogView | null =>
    tracker.currentWidget?.content ?? null;
  const add = (
    id: string,
    label: string,
    caption: string,
    run: (view: BuildLogView) => unknown,
    isEnabled: (view: BuildLogView) => boolean = () => true
  ) => {
    commands.addCommand(id, {
      label,
      caption,
      isEnabled: () => {
        const view = current();
        return view !== null && isEnabled(view);
      },
      execute: () => {
        const view = current();
        return view ? run(view) : undefined;
      }
    });
  };

  add(
    CommandIDs.logFind,
    trans.__('Find in Build Log'),
    trans.__('Search the whole build log'),
    view => view.toggleSearch(true)
  );
  add(
    CommandIDs.logFindNext,
    trans.__('Next Match in Build Log'),
    trans.__('Go to the next match of the search'),
    view => view.nextMatch()
  );
  add(
    CommandIDs.logFindPrevious,
    trans.__('Previous Match in Build Log'),
    trans.__('Go to the previous match of the search'),
    view => view.previousMatch()
  );
  add(
    CommandIDs.logFirstError,
    trans.__('Go to First Error in Build Log'),
    trans.__('Scroll to the first line that reports an error'),
    view => {
      view.jumpToError();
      view.focusLog();
    },
    view => view.model.firstErrorLine !== null
  );
  add(
    CommandIDs.logTop,
    trans.__('Go to Start of Build Log'),
    trans.__('Scroll to the first line of the log'),
    view => view.scrollToLine(0, 'start')
  );
  add(
    CommandIDs.logLatest,
    trans.__('Jump to Latest in Build Log'),
    trans.__('Scroll to the end of the log and follow it'),
    view => {
      view.jumpToLatest();
      view.focusLog();
    }
  );
  add(
    CommandIDs.logCopy,
    trans.__('Copy Whole Build Log'),
    trans.__('Copy the whole log as plain text'),
    view => view.copyLog()
  );
  add(
    CommandIDs.logDownload,
    trans.__('Download Build Log'),
    trans.__('Download the whole log as a .log file'),
    view => view.downloadLog()
  );

  // Enabled states follow the current viewer.
  tracker.currentChanged.connect(() => {
    LOG_ACTION_COMMANDS.forEach(id => commands.notifyCommandChanged(id));
  });

  if (palette) {
    const category = paletteCategory(trans);
    for (const command of LOG_ACTION_COMMANDS) {
      palette.addItem({ command, category });
    }
  }
}
