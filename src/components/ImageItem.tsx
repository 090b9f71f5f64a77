import type { Image } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import { copyIcon, deleteIcon, listIcon, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { formatBytes, formatDate, shortCommit, shortRepo } from './format';

export interface IImageItemProps {
  image: Image;
  trans: TranslationBundle;
  canRebuild: boolean;
  canDelete: boolean;
  onCopy: (image: Image) => void;
  onRebuild: (image: Image) => void;
  onDelete: (image: Image) => void;
  onOpenLogs: (image: Image) => void;
}

/** One image: names, source, size, date, owner; copy its name, rebuild, delete, last log. */
export function ImageItem(props: IImageItemProps): JSX.Element {
  const { image, trans } = props;
  const label = image.displayName || image.repository;
  const where = [
    image.location.engine ? trans.__('engine') : null,
    image.location.registry ? trans.__('registry') : null
  ]
    .filter(Boolean)
    .join(', ');

  return (
    <li className="jp-Repo2Docker-image" data-image-name={image.name}>
      <div className="jp-Repo2Docker-itemHeader">
        <span className="jp-Repo2Docker-itemName">{label}</span>
        {image.shared && <span className="jp-Repo2Docker-badge">{trans.__('shared')}</span>}
      </div>
      <code className="jp-Repo2Docker-imageName" title={image.name}>
        {image.name}
      </code>
      <div className="jp-Repo2Docker-itemDetails">
        <span title={image.repo}>
          {shortRepo(image.repo)}
          {image.subdir ? `/${image.subdir}` : ''}
        </span>
        <span className="jp-Repo2Docker-commit" title={image.commit}>
          {shortCommit(image.commit)}
        </span>
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
      <div className="jp-Repo2Docker-itemActions">
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Repo2Docker-action"
          title={trans.__('Copy the image name')}
          aria-label={trans.__('Copy name of %1', label)}
          onClick={() => props.onCopy(image)}
        >
          <copyIcon.react tag="span" className="jp-Repo2Docker-actionIcon" />
        </button>
        {props.canRebuild && (
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Repo2Docker-action"
            title={trans.__('Rebuild this image from its repository')}
            aria-label={trans.__('Rebuild %1', label)}
            onClick={() => props.onRebuild(image)}
          >
            <refreshIcon.react tag="span" className="jp-Repo2Docker-actionIcon" />
          </button>
        )}
        {image.buildId && (
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Repo2Docker-action"
            title={trans.__('Show the log of the build that made this image')}
            aria-label={trans.__('Show last log of %1', label)}
            onClick={() => props.onOpenLogs(image)}
          >
            <listIcon.react tag="span" className="jp-Repo2Docker-actionIcon" />
          </button>
        )}
        {props.canDelete && (
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Repo2Docker-action"
            title={trans.__('Delete this image')}
            aria-label={trans.__('Delete %1', label)}
            onClick={() => props.onDelete(image)}
          >
            <deleteIcon.react tag="span" className="jp-Repo2Docker-actionIcon" />
          </button>
        )}
      </div>
    </li>
  );
}
