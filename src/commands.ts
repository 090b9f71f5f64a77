/**
 * Command ids and their handlers, palette entries, and the notifications that point at them.
 */

import type { Build } from '@jupyterlab-repo2docker/service/contract';
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';
import { buildLabel } from './components/format';
import { isServiceError } from './errors';
import { phaseLabel } from './logs/phase';
import { errorSummary } from './words';
import { environmentsIcon } from './icons';
import { BuildLogWidget } from './logs';
import type { EnvironmentsModel } from './model';
import type { IRepo2DockerClient } from './tokens';

/** The extension's command ids. */
export namespace CommandIDs {
  /** Build from a repository: args `{repo, ref?}` build at once; no args focus the form. */
  export const build = 'repo2docker:build';
  /** Open a build's log viewer: args `{buildId, label?}`; no `buildId` asks for one. */
  export const openLogs = 'repo2docker:open-logs';
  /** Refresh the Environments panel. */
  export const refresh = 'repo2docker:refresh';

  // The current log viewer's actions (src/logCommands.ts; shortcuts in schema/plugin.json).
  /** Show the search bar and focus it. */
  export const logFind = 'repo2docker:log-find';
  export const logFindNext = 'repo2docker:log-find-next';
  export const logFindPrevious = 'repo2docker:log-find-previous';
  /** Scroll to the first line that reports an error. */
  export const logFirstError = 'repo2docker:log-first-error';
  /** Scroll to the first line. */
  export const logTop = 'repo2docker:log-top';
  /** Scroll to the end and follow it. */
  export const logLatest = 'repo2docker:log-latest';
  /** Copy the whole log (plain text). */
  export const logCopy = 'repo2docker:log-copy';
  /** Download the whole log as a `.log` file. */
  export const logDownload = 'repo2docker:log-download';
}

/** The palette category of every command. */
export function paletteCategory(trans: TranslationBundle): string {
  return trans.__('Environments');
}

function stringArg(
  args: ReadonlyPartialJSONObject,
  name: string
): string | undefined {
  const value = args[name];
  return typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : undefined;
}

/** Show a failure as an error notification, with what to do about it. */
export function notifyError(error: unknown, prefix?: string): void {
  const message = error instanceof Error ? error.message : String(error);
  const diagnosis = isServiceError(error) ? error.diagnosis : null;
  const text = [prefix, message, diagnosis].filter(Boolean).join(' ');
  // An error stays until the user closed it; what is not an error closes by itself.
  Notification.error(text, { autoClose: false });
}

/**
 * Add `repo2docker:build` and `repo2docker:refresh` (and their palette entries), which act on
 * the Environments panel.
 */
export function addPanelCommands(
  app: JupyterFrontEnd,
  options: {
    model: EnvironmentsModel;
    panel: Widget;
    trans: TranslationBundle;
    palette?: ICommandPalette | null;
  }
): void {
  const { model, panel, trans, palette } = options;
  const { commands, shell } = app;

  commands.addCommand(CommandIDs.build, {
    label: args => {
      const repo = stringArg(args, 'repo');
      return repo
        ? trans.__('Build Environment from %1', repo)
        : trans.__('Build from Repository…');
    },
    caption: trans.__(
      'Build a container image from a code repository with repo2docker'
    ),
    icon: args => (args.isPalette ? undefined : environmentsIcon),
    execute: async args => {
      const repo = stringArg(args, 'repo');
      shell.activateById(panel.id);
      if (!repo) {
        model.requestForm({});
        return;
      }
      const ref = stringArg(args, 'ref');
      try {
        const build = await model.startBuild(ref ? { repo, ref } : { repo });
        if (build.alreadyBuilt) {
          Notification.info(trans.__('Already built: %1', build.image), {
            autoClose: 5000
          });
        } else {
          await commands.execute(CommandIDs.openLogs, {
            buildId: build.id,
            label: buildLabel(build, trans)
          });
        }
        return build.id;
      } catch (reason) {
        if (isServiceError(reason) && reason.kind === 'invalid') {
          // Show the form with what was asked, so that the user can fix it.
          model.requestForm({ repo, ref });
        }
        notifyError(reason, trans.__('Could not build %1:', repo));
      }
    },
    describedBy: {
      args: {
        type: 'object',
        properties: {
          repo: { type: 'string', description: trans.__('Repository URL') },
          ref: {
            type: 'string',
            description: trans.__('Branch, tag or commit')
          }
        }
      }
    }
  });

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh Environments'),
    caption: trans.__('Fetch the builds and images again'),
    execute: () => model.refresh({ force: true })
  });

  if (palette) {
    const category = paletteCategory(trans);
    palette.addItem({ command: CommandIDs.build, category });
    palette.addItem({ command: CommandIDs.refresh, category });
  }
}

/** Add `repo2docker:open-logs` (and its palette entry). */
export function addLogCommands(
  app: JupyterFrontEnd,
  options: {
    client: IRepo2DockerClient;
    tracker: WidgetTracker<BuildLogWidget>;
    translator: ITranslator;
    trans: TranslationBundle;
    palette?: ICommandPalette | null;
  }
): void {
  const { client, tracker, translator, trans, palette } = options;
  const { commands, shell } = app;

  commands.addCommand(CommandIDs.openLogs, {
    label: args => {
      const label = stringArg(args, 'label') ?? stringArg(args, 'buildId');
      return label
        ? trans.__('Open Build Log of %1', label)
        : trans.__('Open Build Log…');
    },
    caption: trans.__('Show the log of a repo2docker build'),
    execute: async args => {
      let buildId = stringArg(args, 'buildId');
      let picked: string | undefined;
      if (!buildId) {
        const choice = await pickBuild(client, trans);
        if (!choice) {
          return;
        }
        buildId = choice.id;
        picked = choice.label;
      }
      const existing = tracker.find(widget => widget.buildId === buildId);
      if (existing) {
        shell.activateById(existing.id);
        return existing;
      }
      const label = stringArg(args, 'label') ?? picked ?? buildId;
      const widget = new BuildLogWidget({
        buildId,
        label,
        source: client,
        translator
      });
      if (!widget.id) {
        widget.id = `jp-repo2docker-log-${buildId}`;
      }
      Private.labels.set(widget, label);
      void tracker.add(widget);
      if (!widget.isAttached) {
        shell.add(widget, 'main');
      }
      shell.activateById(widget.id);
      return widget;
    },
    describedBy: {
      args: {
        type: 'object',
        properties: {
          buildId: { type: 'string', description: trans.__('Build id') },
          label: { type: 'string', description: trans.__('Tab title') }
        }
      }
    }
  });

  if (palette) {
    palette.addItem({
      command: CommandIDs.openLogs,
      category: paletteCategory(trans)
    });
  }
}

/**
 * Ask the user which build's log to open, from the builds the service lists (with a log): by
 * name, start time and phase, newest first. Resolves with `null` when cancelled or when there
 * is none (then it says so).
 */
async function pickBuild(
  client: IRepo2DockerClient,
  trans: TranslationBundle
): Promise<{ id: string; label: string } | null> {
  let builds: Build[];
  try {
    builds = await client.listBuilds();
  } catch (reason) {
    notifyError(reason, trans.__('Could not list the builds:'));
    return null;
  }
  const withLog = builds
    .filter(build => build.logAvailable !== false)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  if (withLog.length === 0) {
    Notification.info(
      trans.__(
        'No build has a log to show yet: start one in the Environments panel.'
      ),
      {
        autoClose: 5000
      }
    );
    return null;
  }
  const items = withLog.map(
    build => `${buildLabel(build, trans)} · ${phaseLabel(trans, build.phase)}`
  );
  const result = await InputDialog.getItem({
    title: trans.__('Open Build Log'),
    label: trans.__('Build'),
    items,
    okLabel: trans.__('Open')
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  const index = items.indexOf(result.value);
  const build = withLog[index];
  return build ? { id: build.id, label: buildLabel(build, trans) } : null;
}

/** The arguments that reopen a log viewer (for the layout restorer). */
export function openLogsArgs(
  widget: BuildLogWidget
): ReadonlyPartialJSONObject {
  return {
    buildId: widget.buildId,
    label: Private.labels.get(widget) ?? widget.title.label
  };
}

/**
 * Notify the user when a build they started or watched finishes or fails, with an action that
 * opens its log (while `enabled()` says so: the `notifyOnFinish` setting).
 */
export function notifyWhenFinished(
  model: EnvironmentsModel,
  commands: JupyterFrontEnd['commands'],
  trans: TranslationBundle,
  enabled: () => boolean
): void {
  model.buildFinished.connect((_, build: Build) => {
    if (!enabled()) {
      return;
    }
    const label = build.displayName || build.name;
    const tabLabel = buildLabel(build, trans);
    const actions: Notification.IAction[] = [
      {
        label: trans.__('Open log'),
        caption: trans.__('Show the log of this build'),
        callback: () => {
          void commands.execute(CommandIDs.openLogs, {
            buildId: build.id,
            label: tabLabel
          });
        }
      }
    ];
    switch (build.phase) {
      case 'built':
        Notification.success(
          trans.__('Environment %1 is built: %2', label, build.image),
          {
            autoClose: 5000,
            actions
          }
        );
        break;
      case 'failed':
        Notification.error(
          build.error
            ? trans.__(
                'The build of %1 failed: %2',
                label,
                errorSummary(build.error, trans)
              )
            : trans.__('The build of %1 failed.', label),
          { autoClose: false, actions }
        );
        break;
      case 'cancelled':
        Notification.warning(
          trans.__('The build of %1 was cancelled.', label),
          {
            autoClose: 5000,
            actions
          }
        );
        break;
      default:
        break;
    }
  });
}

namespace Private {
  /** The label each log viewer was opened with (its title may change later). */
  export const labels = new WeakMap<BuildLogWidget, string>();
}
