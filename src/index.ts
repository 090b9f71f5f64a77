/**
 * jupyterlab-repo2docker: the plugins. This file only wires things together.
 *
 * The client plugin provides the service client; the log plugin (which needs the client)
 * provides the log viewers' tracker; the Environments panel uses both, the tracker optionally,
 * to hear of a build's end from an open log as soon as the log does.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import {
  IDefaultFileBrowser,
  IFileBrowserFactory
} from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';
import { ITranslator } from '@jupyterlab/translation';
import { Repo2DockerClient } from './client';
import {
  addLogCommands,
  addPanelCommands,
  CommandIDs,
  notifyWhenFinished,
  openLogsArgs
} from './commands';
import { EnvironmentsSidebar } from './components/EnvironmentsSidebar';
import { addLogActionCommands } from './logCommands';
import { fileBrowserFolderSource } from './fileBrowsers';
import { addFolderBuildCommand, BUILD_FOLDER } from './folderBuild';
import { followBuildLogs } from './followLogs';
import { BuildLogWidget } from './logs';
import {
  DEFAULT_REFRESH_INTERVAL,
  EnvironmentsModel,
  type IViewState
} from './model';
import { IBuildLogTracker, IRepo2DockerClient } from './tokens';

export * from './tokens';
export { CommandIDs } from './commands';

/** The panel's plugin, whose settings (`schema/plugin.json`) the client reads too. */
const PLUGIN_ID = 'jupyterlab-repo2docker:plugin';

/** Where the panel's view choices (folded sections, mine only, cleared builds) are kept. */
const VIEW_STATE_KEY = `${PLUGIN_ID}:view`;

/** The settings of `schema/plugin.json`. */
interface ISettings {
  serviceUrl: string;
  /** As the user set it (`null`: not set, so the page config or the default names it). */
  serviceName: string | null;
  refreshInterval: number;
  notifyOnFinish: boolean;
}

function readSettings(settings: ISettingRegistry.ISettings | null): ISettings {
  const serviceUrl = settings?.get('serviceUrl').composite;
  const serviceName = settings?.get('serviceName').user;
  const refreshInterval = settings?.get('refreshInterval').composite;
  const notifyOnFinish = settings?.get('notifyOnFinish').composite;
  return {
    serviceUrl: typeof serviceUrl === 'string' ? serviceUrl : '',
    serviceName: typeof serviceName === 'string' ? serviceName : null,
    refreshInterval:
      typeof refreshInterval === 'number'
        ? refreshInterval
        : DEFAULT_REFRESH_INTERVAL,
    notifyOnFinish: typeof notifyOnFinish === 'boolean' ? notifyOnFinish : true
  };
}

/** The settings of `PLUGIN_ID`, for the plugin `reader`; `null` without them. */
async function loadSettings(
  registry: ISettingRegistry | null,
  reader: string
): Promise<ISettingRegistry.ISettings | null> {
  if (!registry) {
    return null;
  }
  try {
    return await registry.load(PLUGIN_ID);
  } catch (reason) {
    console.warn(
      `${reader}: could not load the settings; using defaults.`,
      reason
    );
    return null;
  }
}

/**
 * The client of the repo2docker service, shared by the panel and the log viewers.
 */
const clientPlugin: JupyterFrontEndPlugin<IRepo2DockerClient> = {
  id: 'jupyterlab-repo2docker:client',
  description: 'The client of the repo2docker image build service.',
  autoStart: true,
  requires: [ITranslator],
  optional: [ISettingRegistry],
  provides: IRepo2DockerClient,
  activate: async (
    _app: JupyterFrontEnd,
    translator: ITranslator,
    settingRegistry: ISettingRegistry | null
  ): Promise<IRepo2DockerClient> => {
    const settings = await loadSettings(
      settingRegistry,
      'jupyterlab-repo2docker:client'
    );
    const initial = readSettings(settings);
    const client = new Repo2DockerClient({
      serviceUrl: initial.serviceUrl,
      serviceName: initial.serviceName,
      translator
    });
    settings?.changed.connect(() => {
      const current = readSettings(settings);
      client.serviceName = current.serviceName;
      client.serviceUrl = current.serviceUrl;
    });
    return client;
  }
};

/**
 * The build log viewers: their tracker (restored on reload) and `repo2docker:open-logs`.
 */
const logsPlugin: JupyterFrontEndPlugin<IBuildLogTracker> = {
  id: 'jupyterlab-repo2docker:logs',
  description: 'Build log viewers of repo2docker builds.',
  autoStart: true,
  requires: [IRepo2DockerClient, ITranslator],
  optional: [ILayoutRestorer, ICommandPalette],
  provides: IBuildLogTracker,
  activate: (
    app: JupyterFrontEnd,
    client: IRepo2DockerClient,
    translator: ITranslator,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): IBuildLogTracker => {
    const trans = translator.load('jupyterlab_repo2docker');
    const tracker = new WidgetTracker<BuildLogWidget>({
      namespace: 'repo2docker-logs'
    });

    addLogCommands(app, { client, tracker, translator, trans, palette });
    addLogActionCommands(app.commands, { tracker, trans, palette });
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openLogs,
        args: openLogsArgs,
        name: widget => widget.buildId
      });
    }
    return tracker;
  }
};

/**
 * The Environments sidebar, its commands and notifications.
 */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Build container images from code repositories with repo2docker.',
  autoStart: true,
  requires: [IRepo2DockerClient, ITranslator],
  optional: [
    ILayoutRestorer,
    ISettingRegistry,
    ICommandPalette,
    IBuildLogTracker,
    IStateDB,
    IFileBrowserFactory,
    IDefaultFileBrowser
  ],
  activate: async (
    app: JupyterFrontEnd,
    client: IRepo2DockerClient,
    translator: ITranslator,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    logTracker: IBuildLogTracker | null,
    state: IStateDB | null,
    browsers: IFileBrowserFactory | null,
    defaultBrowser: IDefaultFileBrowser | null
  ): Promise<void> => {
    const trans = translator.load('jupyterlab_repo2docker');
    const settings = await loadSettings(settingRegistry, PLUGIN_ID);
    let current = readSettings(settings);

    const model = new EnvironmentsModel({
      client,
      translator,
      refreshInterval: current.refreshInterval
    });
    const panel = new EnvironmentsSidebar({
      model,
      translator,
      actions: {
        openLogs: (buildId, label) => {
          void app.commands.execute(CommandIDs.openLogs, { buildId, label });
        },
        buildFolder: folder => {
          void app.commands.execute(
            BUILD_FOLDER,
            folder ? { ...folder } : { ask: true }
          );
        }
      }
    });
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, EnvironmentsSidebar.ID);

    addPanelCommands(app, { model, panel, trans, palette });
    addFolderBuildCommand({
      commands: app.commands,
      serverSettings: app.serviceManager.serverSettings,
      contents: app.serviceManager.contents,
      model,
      source: fileBrowserFolderSource(browsers, defaultBrowser),
      trans
    });
    notifyWhenFinished(
      model,
      app.commands,
      trans,
      () => current.notifyOnFinish
    );
    if (logTracker) {
      followBuildLogs(logTracker, model);
    }

    settings?.changed.connect(() => {
      current = readSettings(settings);
      model.refreshInterval = current.refreshInterval;
    });

    if (state) {
      // Not awaited: the state database answers only once the application has restored its
      // workspace, which waits for this plugin to activate.
      void state
        .fetch(VIEW_STATE_KEY)
        .then(saved =>
          model.restoreViewState(saved as Partial<IViewState> | undefined)
        )
        .catch(reason => {
          console.warn(
            `${PLUGIN_ID}: could not read the panel's view state.`,
            reason
          );
        })
        .then(() => {
          model.viewStateChanged.connect((_, view) => {
            void state.save(
              VIEW_STATE_KEY,
              view as unknown as ReadonlyPartialJSONValue
            );
          });
        });
    }

    void model.start();
  }
};

export default [clientPlugin, logsPlugin, panelPlugin];
