import type { Image } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { Section, usePaged } from './Section';

export interface ISharedWithYouProps {
  /** Others' images shared with the user (filtered). */
  images: readonly Image[];
  /** How many there are before the filter. */
  total: number;
  trans: TranslationBundle;
  /** One row, as the Images section renders it (same buttons: start, copy, log). */
  renderItem: (image: Image) => JSX.Element;
}

/**
 * The `Shared with you` section: images of other users shared with everyone or with one of the
 * user's groups. Shown only when there are any; folded or not for this page only.
 */
export function SharedWithYou(props: ISharedWithYouProps): JSX.Element | null {
  const { images, trans } = props;
  const [collapsed, setCollapsed] = React.useState(false);
  const paged = usePaged(images);
  if (props.total === 0) {
    return null;
  }
  return (
    <Section
      title={trans.__('Shared with you')}
      shown={images.length}
      total={props.total}
      collapsed={collapsed}
      onToggle={setCollapsed}
      trans={trans}
    >
      {images.length === 0 ? (
        <p className="jp-Repo2Docker-empty">{trans.__('No image matches.')}</p>
      ) : (
        <ul
          className="jp-Repo2Docker-list"
          aria-label={trans.__('Shared with you')}
        >
          {paged.items.map(image => props.renderItem(image))}
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
