import type { Image } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { ImageItem } from './ImageItem';

export interface IImageListProps {
  images: readonly Image[];
  trans: TranslationBundle;
  canRebuild: (image: Image) => boolean;
  canDelete: (image: Image) => boolean;
  onCopy: (image: Image) => void;
  onRebuild: (image: Image) => void;
  onDelete: (image: Image) => void;
  onOpenLogs: (image: Image) => void;
}

/** The images the user may see: their own and the shared ones (everyone's for admins). */
export function ImageList(props: IImageListProps): JSX.Element {
  const { images, trans } = props;
  return (
    <section className="jp-Repo2Docker-section" aria-label={trans.__('Images')}>
      <h3 className="jp-Repo2Docker-sectionTitle">
        {trans.__('Images')}
        <span className="jp-Repo2Docker-count">{images.length}</span>
      </h3>
      {images.length === 0 ? (
        <p className="jp-Repo2Docker-empty">{trans.__('No images.')}</p>
      ) : (
        <ul className="jp-Repo2Docker-list">
          {images.map(image => (
            <ImageItem
              key={image.name}
              image={image}
              trans={trans}
              canRebuild={props.canRebuild(image)}
              canDelete={props.canDelete(image)}
              onCopy={props.onCopy}
              onRebuild={props.onRebuild}
              onDelete={props.onDelete}
              onOpenLogs={props.onOpenLogs}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
