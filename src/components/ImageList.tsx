import type { Image } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { ImageItem } from './ImageItem';
import { Section, usePaged } from './Section';

export interface IImageListProps {
  /** The images to list (filtered). */
  images: readonly Image[];
  /** How many images there are before the filter. */
  total: number;
  trans: TranslationBundle;
  collapsed: boolean;
  onToggle: (collapsed: boolean) => void;
  canRebuild: (image: Image) => boolean;
  canDelete: (image: Image) => boolean;
  hasLog: (image: Image) => boolean;
  onCopy: (image: Image) => void;
  onRebuild: (image: Image) => void;
  onDelete: (image: Image) => void;
  onOpenLogs: (image: Image) => void;
}

/** The images the user may see: their own and the shared ones (everyone's for admins). */
export function ImageList(props: IImageListProps): JSX.Element {
  const { images, trans } = props;
  const paged = usePaged(images);
  return (
    <Section
      title={trans.__('Images')}
      shown={images.length}
      total={props.total}
      collapsed={props.collapsed}
      onToggle={props.onToggle}
      trans={trans}
    >
      {images.length === 0 ? (
        <p className="jp-Repo2Docker-empty">
          {props.total > 0
            ? trans.__('No image matches.')
            : trans.__('No images.')}
        </p>
      ) : (
        <ul className="jp-Repo2Docker-list" aria-label={trans.__('Images')}>
          {paged.items.map(image => (
            <ImageItem
              key={image.name}
              image={image}
              trans={trans}
              canRebuild={props.canRebuild(image)}
              canDelete={props.canDelete(image)}
              hasLog={props.hasLog(image)}
              onCopy={props.onCopy}
              onRebuild={props.onRebuild}
              onDelete={props.onDelete}
              onOpenLogs={props.onOpenLogs}
            />
          ))}
        </ul>
      )}
      {paged.more > 0 && (
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton jp-Repo2Docker-showAll"
          onClick={paged.showAll}
        >
          {trans.__('Show %1 more images', paged.more)}
        </button>
      )}
    </Section>
  );
}
