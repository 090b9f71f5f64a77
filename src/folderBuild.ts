/**
 * `repo2docker:build-folder`: build an environment from a folder of this JupyterLab.
 *
 * The folder is on the Jupyter server, not where the service runs: the server extension packs
 * it and uploads it to the service (`POST {base_url}jupyterlab-repo2docker/folder-build`,
 * /work/coord/folder-design.md §6), and answers with the service's build answer, which is then
 * treated as a repository build's: its log opens and the panel lists and watches it.
 */

import type { Build } from '@jupyterlab-repo2docker/service/contract';
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog, Notification } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection, type Contents } from '@jupyterlab/services';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { CommandIDs, notifyError } from './commands';
import { buildLabel, formatBytes } from './components/format';
import { ServiceError } from './errors';
import type { IFolderSource } from './fileBrowsers';
import { folderError } from './folderErrors';
import type { EnvironmentsModel } from './model';

/** The command's id (ui-contract.md "Folder"). */
export const BUILD_FOLDER = 'repo2docker:build-folder';

/** The Jupyter server extension's route, under the server's base URL. */
export const FOLDER_BUILD_ROUTE = 'jupyterlab-repo2docker/folder-build';

/** The body of `POST {base_url}jupyterlab-repo2docker/folder-build`. */
export interface IFolderBuildRequest {
  /** The folder's contents path (`projects/demo`; `""` for the root). */
  path: string;
  name?: string;
  displayName?: string;
  force?: boolean;
}

/** Ask this Jupyter server to pack `request.path` and upload it; the service's build answer. */
export async function requestFolderBuild(
  request: IFolderBuildRequest,
  settings: ServerConnection.ISettings,
  trans: TranslationBundle
): Promise<Build> {
  const url = URLExt.join(settings.baseUrl, FOLDER_BUILD_ROUTE);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request)
      },
      settings
    );
  } catch (reason) {
    throw new ServiceError({
      kind: 'unreachable',
      message: trans.__('This Jupyter server cannot be reached.'),
      diagnosis: trans.__(
        'Check that JupyterLab is still connected to its server, then try again.'
      ),
      serviceUrl: url,
      cause: reason
    });
  }
  const text = await response.text();
  if (!response.ok) {
    throw folderError(response.status, text, url, trans);
  }
  try {
    return JSON.parse(text) as Build;
  } catch (reason) {
    throw new ServiceError({
      kind: 'unexpected',
      status: response.status,
      message: trans.__(
        'The folder build answered something that is not a build (HTTP %1).',
        response.status
      ),
      diagnosis: null,
      serviceUrl: url,
      cause: reason
    });
  }
}

export interface IFolderBuildOptions {
  commands: JupyterFrontEnd['commands'];
  serverSettings: ServerConnection.ISettings;
  /** To tell folders of this server (the default drive) from those of other drives. */
  contents: Pick<Contents.IManager, 'driveName' | 'localPath'>;
  model: Pick<EnvironmentsModel, 'watch' | 'refresh' | 'info'>;
  source: IFolderSource;
  trans: TranslationBundle;
}

/** The single folder selected in the file browser, else `null`. */
function selectedFolder(source: IFolderSource): string | null {
  const items = source.selectedItems();
  return items.length === 1 && items[0].type === 'directory'
    ? items[0].path
    : null;
}

/** The folder to ask about in the dialog: the file browser's current directory by default. */
async function askFolder(options: IFolderBuildOptions): Promise<string | null> {
  const { trans, source, model } = options;
  const limit = (model.info?.limits as { uploadMaxBytes?: unknown } | undefined)
    ?.uploadMaxBytes;
  const result = await InputDialog.getText({
    title: trans.__('Build Environment from a Folder'),
    label:
      typeof limit === 'number'
        ? trans.__(
            'Folder, relative to JupyterLab’s root (empty: the root itself); at most %1 is uploaded',
            formatBytes(limit, trans)
          )
        : trans.__(
            'Folder, relative to JupyterLab’s root (empty: the root itself)'
          ),
    text: source.currentDirectory() ?? '',
    okLabel: trans.__('Build')
  });
  return result.button.accept && result.value !== null
    ? result.value.trim()
    : null;
}

/**
 * Add `repo2docker:build-folder`. Args: `{path, name?, force?}` builds that folder (a folder
 * image's Rebuild); `{ask: true}` asks which (the build form's "From folder…"); none builds the
 * folder selected in the file browser (its context menu), and the command is enabled only when
 * exactly one folder is selected.
 */
export function addFolderBuildCommand(options: IFolderBuildOptions): void {
  const { commands, contents, model, source, trans } = options;

  const target = (args: ReadonlyPartialJSONObject): string | null =>
    typeof args.path === 'string' ? args.path : selectedFolder(source);

  commands.addCommand(BUILD_FOLDER, {
    label: args =>
      args.ask
        ? trans.__('Build Environment from Folder…')
        : trans.__('Build environment from this folder'),
    caption: trans.__(
      'Pack this folder and build a container image from it with repo2docker (.git and what .gitignore or .dockerignore exclude are left out)'
    ),
    isEnabled: args => args.ask === true || target(args) !== null,
    execute: async args => {
      const path = args.ask === true ? await askFolder(options) : target(args);
      if (path === null) {
        return;
      }
      if (contents.driveName(path) !== '') {
        notifyError(
          new Error(
            trans.__(
              'Only folders on this Jupyter server’s disk can be built, not those of another drive (%1).',
              contents.driveName(path)
            )
          )
        );
        return;
      }
      const local = contents.localPath(path);
      const shown = local || trans.__('(root folder)');
      // Packing and uploading take a moment for a large folder: say that something happens.
      const pending = Notification.emit(
        trans.__('Packing and uploading %1…', shown),
        'in-progress',
        { autoClose: false }
      );
      let build: Build;
      try {
        const request: IFolderBuildRequest = { path: local };
        if (typeof args.name === 'string' && args.name) {
          request.name = args.name;
        }
        if (args.force === true) {
          request.force = true;
        }
        build = await requestFolderBuild(
          request,
          options.serverSettings,
          trans
        );
      } catch (reason) {
        notifyError(reason, trans.__('Could not build the folder %1:', shown));
        return;
      } finally {
        Notification.dismiss(pending);
      }
      if (build.alreadyBuilt) {
        Notification.info(trans.__('Already built: %1', build.image), {
          autoClose: 5000
        });
      } else {
        model.watch(build.id);
        await commands.execute(CommandIDs.openLogs, {
          buildId: build.id,
          label: buildLabel(build, trans)
        });
      }
      void model.refresh();
      return build.id;
    },
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: trans.__('The folder, relative to JupyterLab’s root')
          },
          ask: {
            type: 'boolean',
            description: trans.__('Ask which folder')
          },
          name: { type: 'string', description: trans.__('Image name') },
          force: {
            type: 'boolean',
            description: trans.__('Rebuild even if built')
          }
        }
      }
    }
  });
}
