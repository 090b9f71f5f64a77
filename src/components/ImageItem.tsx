import type { Image } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  copyIcon,
  deleteIcon,
  listIcon,
  refreshIcon,
  shareIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';
import { ActionButton } from './ActionButton';
import { FolderSourceText } from './FolderSourceText';
import {
  BuildFacts,
  imageFacts,
  SharedByLine,
  type IImageShareProps
} from './ImageExtras';
import { VisibilityBadge } from './VisibilityBadge';
import {
  formatBytes,
  formatDate,
  shortCommit,
  shortRepo,
  shortTag
} from './format';

export interface IImageItemProps {
  image: Image;
  trans: TranslationBundle;
  canRebuild: boolean;
  canDelete: boolean;
  /** Whether the service keeps the log of the build that made it ("Show log" only then). */
  hasLog: boolean;
  onCopy: (image: Image) => void;
  onRebuild: (image: Image) => void;
  onDelete: (image: Image) => void;
  onOpenLogs: (image: Image) => void;
  /** Sharing (issue 14): badge and Share button of an own image, or who shared it with the user. */
  share?: IImageShareProps;
  /** Launch (issue 13): Start server, Copy launch link (`components/launch`). */
  launchActions?: React.ReactNode;
}

/** One image: names, source, size, date, owner; copy its name, rebuild, delete, last log. */
export function ImageItem(props: IImageItemProps): JSX.Element {
  const { image, trans } = props;
  const label = image.displayName || image.repository;
  // One line: the display name (else the last part of the repository) in bold, then the
  // repository and a short tag; the whole name is in the tooltip and is what "copy" copies.
  const title =
    image.displayName || image.repository.split('/').pop() || image.repository;
  const where = [
    image.location.engine ? trans.__('engine') : null,
    image.location.registry ? trans.__('registry') : null
  ]
    .filter(Boolean)
    .join(', ');

  return (
    <li className="jp-Repo2Docker-image" data-image-name={image.name}>
      <div className="jp-Repo2Docker-itemHeader">
        <span className="jp-Repo2Docker-imageLine" title={image.name}>
          <span className="jp-Repo2Docker-itemName">{title}</span>{' '}
          <code className="jp-Repo2Docker-imageName">
            {image.repository}
            {image.tag ? `:${shortTag(image.tag)}` : ''}
          </code>
        </span>
        {image.shared && (
          <span className="jp-Repo2Docker-badge">{trans.__('shared')}</span>
        )}
        {props.share?.visibility && (
          <VisibilityBadge sharing={props.share.visibility} trans={trans} />
        )}
        {image.location.registry && (
          <span
            className="jp-Repo2Docker-badge jp-Repo2Docker-badge-registry"
            title={trans.__('In the %1', where)}
          >
            {image.location.engine
              ? trans.__('pushed')
              : trans.__('registry only')}
          </span>
        )}
      </div>
      <div className="jp-Repo2Docker-itemDetails">
        {image.folder ? (
          <FolderSourceText folder={image.folder} trans={trans} />
        ) : (
          <>
            <span title={image.repo}>
              {shortRepo(image.repo)}
              {image.subdir ? `/${image.subdir}` : ''}
            </span>
            <span className="jp-Repo2Docker-commit" title={image.commit}>
              {shortCommit(image.commit)}
            </span>
          </>
        )}
      </div>
      <div className="jp-Repo2Docker-itemDetails">
        <span title={where ? trans.__('In the %1', where) : undefined}>
          {formatBytes(image.size, trans)}
        </span>
        <span title={image.builtAt}>{formatDate(image.builtAt)}</span>
        <span className="jp-Repo2Docker-owner" title={trans.__('Owner')}>
          {image.owner}
        </span>
      </div>
      <BuildFacts {...imageFacts(image)} trans={trans} />
      {props.share?.sharedWithYou && (
        <SharedByLine shared={props.share.sharedWithYou} trans={trans} />
      )}
      <div className="jp-Repo2Docker-itemActions">
        {props.launchActions}
        <ActionButton
          icon={copyIcon}
          text={trans.__('Copy name')}
          title={trans.__(
            'Copy the image name, e.g. to start a server with it'
          )}
          label={trans.__('Copy name of %1', label)}
          onClick={() => props.onCopy(image)}
        />
        {props.canRebuild && (
          <ActionButton
            icon={refreshIcon}
            text={trans.__('Rebuild')}
            title={trans.__('Rebuild this image from its repository')}
            label={trans.__('Rebuild %1', label)}
            onClick={() => props.onRebuild(image)}
          />
        )}
        {image.buildId && props.hasLog && (
          <ActionButton
            icon={listIcon}
            text={trans.__('Show log')}
            title={trans.__('Show the log of the build that made this image')}
            label={trans.__('Show log of %1', label)}
            onClick={() => props.onOpenLogs(image)}
          />
        )}
        {props.share?.onShare && (
          <ActionButton
            icon={shareIcon}
            text={trans.__('Share')}
            title={trans.__('Choose who may see and start this image')}
            label={trans.__('Share %1', label)}
            onClick={() => props.share?.onShare?.(image, label)}
          />
        )}
        {props.canDelete && (
          <ActionButton
            icon={deleteIcon}
            text={trans.__('Delete')}
            title={trans.__('Delete this image')}
            label={trans.__('Delete %1', label)}
            onClick={() => props.onDelete(image)}
          />
        )}
      </div>
    </li>
  );
}
