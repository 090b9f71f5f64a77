/**
 * jupyterlab-repo2docker: the plugins. This file only wires things together.
 */

import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
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
import { BuildLogWidget } from './logs';
import { DEFAULT_REFRESH_INTERVAL, EnvironmentsModel } from './model';
import { IBuildLogTracker, IRepo2DockerClient } from './tokens';

export * from './tokens';
export { CommandIDs } from './commands';

const PLUGIN_ID = 'jupyterlab-repo2docker:plugin';

/** The settings of `schema/plugin.json`. */
interface ISettings {
  serviceUrl: string;
  refreshInterval: number;
  notifyOnFinish: boolean;
}

function readSettings(settings: ISettingRegistry.ISettings | null): ISettings {
  const serviceUrl = settings?.get('serviceUrl').composite;
  const refreshInterval = settings?.get('refreshInterval').composite;
  const notifyOnFinish = settings?.get('notifyOnFinish').composite;
  return {
    serviceUrl: typeof serviceUrl === 'string' ? serviceUrl : '',
    refreshInterval:
      typeof refreshInterval === 'number' ? refreshInterval : DEFAULT_REFRESH_INTERVAL,
    notifyOnFinish: typeof notifyOnFinish === 'boolean' ? notifyOnFinish : true
  };
}

/**
 * The Environments sidebar, its commands and notifications; provides the service client.
 */
const plugin: JupyterFrontEndPlugin<IRepo2DockerClient> = {
  id: PLUGIN_ID,
  description: 'Build container images from code repositories with repo2docker.',
  autoStart: true,
  requires: [ITranslator],
  optional: [ILayoutRestorer, ISettingRegistry, ICommandPalette],
  provides: IRepo2DockerClient,
  activate: async (
    app: JupyterFrontEnd,
    translator: ITranslator,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null
  ): Promise<IRepo2DockerClient> => {
    const trans = translator.load('jupyterlab_repo2docker');

    let settings: ISettingRegistry.ISettings | null = null;
    if (settingRegistry) {
      try {
        settings = await settingRegistry.load(PLUGIN_ID);
      } catch (reason) {
        console.warn(`${PLUGIN_ID}: could not load the settings; using defaults.`, reason);
      }
    }
    let current = readSettings(settings);

    const client = new Repo2DockerClient({ serviceUrl: current.serviceUrl, translator });
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
        }
      }
    });
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, EnvironmentsSidebar.ID);

    addPanelCommands(app, { model, panel, trans, palette });
    notifyWhenFinished(model, app.commands, trans, () => current.notifyOnFinish);

    settings?.changed.connect(() => {
      current = readSettings(settings);
      client.serviceUrl = current.serviceUrl;
      model.refreshInterval = current.refreshInterval;
    });

    void model.start();
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
    const tracker = new WidgetTracker<BuildLogWidget>({ namespace: 'repo2docker-logs' });

    addLogCommands(app, { client, tracker, translator, trans, palette });
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

export default [plugin, logsPlugin];
