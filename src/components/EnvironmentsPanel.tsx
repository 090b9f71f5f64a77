import type { Build, Image } from '@jupyterlab-repo2docker/service/contract';
import {
  Clipboard,
  Dialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { isServiceError } from '../errors';
import type { EnvironmentsModel } from '../model';
import { ActionButton } from './ActionButton';
import { BuildForm } from './BuildForm';
import { BuildList } from './BuildList';
import { ImageList } from './ImageList';
import { openShareDialog, type IShareDialogOptions } from './ShareDialog';
import { sharingOf, splitImages, userGroups } from '../sharing';
import { ServiceStatus } from './ServiceStatus';
import type { ServerLauncher } from '../hub/launcher';
import {
  BuildLaunchActions,
  ImageLaunchActions,
  LaunchSection,
  startAfterBuild,
  useLaunchContext
} from './launch/LaunchPanel';
import { buildLabel } from './format';

/** What the panel asks of the application. */
export interface IPanelActions {
  /** Open (or reveal) the log viewer of a build. */
  openLogs(buildId: string, label: string): void;
  /** Copy text to the clipboard (default: the system clipboard, with a notification). */
  copy?(text: string): void;
  /** Ask for confirmation (default: `showDialog`). */
  confirm?(title: string, body: string, accept: string): Promise<boolean>;
  /** Tell the user an action failed (default: an error notification). */
  reportError?(error: unknown): void;
  /** Open the Share dialog; resolves whether a choice was saved (default: `openShareDialog`). */
  share?(options: IShareDialogOptions): Promise<boolean>;
  /**
   * Build from a folder of this JupyterLab: the given one, else ask which (no "From folder…"
   * button without this).
   */
  buildFolder?(folder?: { path: string; name?: string; force?: boolean }): void;
}

export interface IEnvironmentsPanelProps {
  model: EnvironmentsModel;
  trans: TranslationBundle;
  actions: IPanelActions;
  /** Starts servers from environments (issue 13); by default one made from the page config. */
  launcher?: ServerLauncher;
}

/** Re-render whenever the model changes. */
function useModelState(model: EnvironmentsModel): void {
  const [, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setVersion(version => version + 1);
    model.stateChanged.connect(onChange);
    return () => {
      model.stateChanged.disconnect(onChange);
    };
  }, [model]);
}

/** The Environments panel: a view over `EnvironmentsModel`. */
export function EnvironmentsPanel(props: IEnvironmentsPanelProps): JSX.Element {
  const { model, trans, actions } = props;
  useModelState(model);

  const reportError =
    actions.reportError ??
    ((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const diagnosis = isServiceError(error) ? error.diagnosis : null;
      // Errors stay until read and closed; the viewer keeps its controls where toasts are not.
      Notification.error(diagnosis ? `${message} ${diagnosis}` : message, {
        autoClose: false
      });
    });
  const copy =
    actions.copy ??
    ((text: string) => {
      Clipboard.copyToSystem(text);
      Notification.success(trans.__('Copied %1', text), { autoClose: 3000 });
    });
  const confirm =
    actions.confirm ??
    (async (title: string, body: string, accept: string) => {
      const result = await showDialog({
        title,
        body,
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: accept })
        ]
      });
      return result.button.accept;
    });

  const openBuildLogs = (build: Build) => {
    actions.openLogs(build.id, buildLabel(build, trans));
  };
  const cancelBuild = (build: Build) => {
    model.cancelBuild(build.id).catch(reportError);
  };
  const openImageLogs = (image: Image) => {
    const build = model.builds.find(b => b.id === image.buildId);
    actions.openLogs(
      image.buildId,
      build ? buildLabel(build, trans) : image.displayName || image.repository
    );
  };
  const rebuild = (image: Image) => {
    if (image.folder && actions.buildFolder) {
      // A folder image is rebuilt from the folder as it is now (same path and name).
      const name = model.imageShortName(image) ?? undefined;
      actions.buildFolder({ path: image.folder.path, name, force: true });
      return;
    }
    model
      .startBuild(model.rebuildRequest(image))
      .then(build => {
        if (!build.alreadyBuilt) {
          openBuildLogs(build);
        }
      })
      .catch(reportError);
  };
  const deleteImage = async (image: Image) => {
    const accepted = await confirm(
      trans.__('Delete image'),
      trans.__('Delete the image %1? This cannot be undone.', image.name),
      trans.__('Delete')
    );
    if (accepted) {
      await model.deleteImage(image.name);
    }
  };
  const shareImage = (image: Image, label: string) => {
    const share = actions.share ?? openShareDialog;
    share({
      label,
      sharing: sharingOf(image),
      groups: userGroups(model.info?.user),
      trans,
      save: async sharing => {
        await model.client.setImageSharing(image.name, sharing);
        await model.refresh();
      }
    }).catch(reportError);
  };
  const launch = useLaunchContext({
    model,
    trans,
    copy,
    reportError,
    launcher: props.launcher
  });
  const info = model.info;

  const loading = model.status === 'loading';
  const builds = model.builds;
  const images = model.images;
  const imageCounts = model.imageCounts;
  // Before the filter: a page that matches nothing is not "no environments".
  const empty = builds.length === 0 && imageCounts.total === 0;
  const listedBuilds = builds.length - model.hiddenBuildCount;

  return (
    <div className="jp-Repo2Docker-panel" aria-busy={loading}>
      <header className="jp-Repo2Docker-header">
        <h2 className="jp-Repo2Docker-title">{trans.__('Environments')}</h2>
        <ActionButton
          icon={refreshIcon}
          title={trans.__('Refresh')}
          label={trans.__('Refresh')}
          onClick={() => void model.refresh({ force: true })}
        />
      </header>
      {loading && (
        <p className="jp-Repo2Docker-loading" role="status">
          {trans.__('Loading…')}
        </p>
      )}
      <ServiceStatus model={model} trans={trans} />
      {info && (
        <BuildForm
          model={model}
          trans={trans}
          onStarted={build => openBuildLogs(build)}
          onBuildFolder={actions.buildFolder && (() => actions.buildFolder?.())}
          onBuildAndStart={build => startAfterBuild(build, launch)}
        />
      )}
      {info && <LaunchSection context={launch} />}
      {info &&
        model.canRead &&
        (empty ? (
          <p className="jp-Repo2Docker-empty jp-Repo2Docker-emptyAll">
            {model.canBuild
              ? trans.__(
                  'No environments yet: build one from a repository above.'
                )
              : trans.__('No environments yet.')}
          </p>
        ) : (
          <>
            <div className="jp-Repo2Docker-filterBar">
              <input
                type="search"
                className="jp-mod-styled jp-Repo2Docker-input jp-Repo2Docker-filter"
                placeholder={trans.__('Filter builds and images')}
                aria-label={trans.__('Filter builds and images')}
                title={trans.__(
                  'Show only builds and images whose name, repository or owner contain these words'
                )}
                value={model.filter}
                spellCheck={false}
                autoComplete="off"
                onChange={event => {
                  model.filter = event.target.value;
                }}
                onKeyDown={event => {
                  if (event.key === 'Escape' && model.filter) {
                    event.stopPropagation();
                    model.filter = '';
                  }
                }}
              />
              {(model.hasOthers || model.mineOnly) && (
                <label
                  className="jp-Repo2Docker-mineOnly"
                  title={trans.__('List only your own builds and images')}
                >
                  <input
                    type="checkbox"
                    checked={model.mineOnly}
                    onChange={event => {
                      model.mineOnly = event.target.checked;
                    }}
                  />
                  {trans.__('Mine only')}
                </label>
              )}
            </div>
            <BuildList
              builds={model.visibleBuilds}
              total={listedBuilds}
              trans={trans}
              collapsed={model.collapsed.builds}
              onToggle={collapsed => model.setCollapsed('builds', collapsed)}
              canCancel={build => model.canCancel(build)}
              hasLog={build => model.hasLog(build.id)}
              isGone={build => model.isGone(build.id)}
              onCancel={cancelBuild}
              onOpenLogs={openBuildLogs}
              finishedCount={model.finishedBuildCount}
              onClearFinished={() => model.clearFinished()}
              hiddenCount={model.hiddenBuildCount}
              onShowHidden={() => model.showHidden()}
              renderLaunchActions={build => (
                <BuildLaunchActions build={build} {...launch} />
              )}
            />
            <ImageList
              images={model.visibleImages}
              total={imageCounts.total}
              paging={
                imageCounts.more === null
                  ? undefined
                  : {
                      matching: imageCounts.matching,
                      more: {
                        count: imageCounts.more,
                        pageSize: model.imagePageSize,
                        busy: model.imagesLoading,
                        onMore: () => model.showMoreImages()
                      }
                    }
              }
              trans={trans}
              collapsed={model.collapsed.images}
              onToggle={collapsed => model.setCollapsed('images', collapsed)}
              canRebuild={image => model.canRebuild(image)}
              canDelete={image => model.canDelete(image)}
              hasLog={image => model.hasLog(image.buildId)}
              onCopy={image => copy(image.name)}
              onRebuild={rebuild}
              onDelete={image => void deleteImage(image).catch(reportError)}
              onOpenLogs={openImageLogs}
              renderLaunchActions={image => (
                <ImageLaunchActions image={image} {...launch} />
              )}
              sharing={{
                user: info.user,
                sharedTotal: splitImages(info.user, images).shared.length,
                onShare: shareImage
              }}
            />
          </>
        ))}
    </div>
  );
}
