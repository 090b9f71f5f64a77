import type { Image } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { ListSection } from './ListSection';

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
  if (props.total === 0) {
    return null;
  }
  return (
    <ListSection
      title={trans.__('Shared with you')}
      items={images}
      total={props.total}
      collapsed={collapsed}
      onToggle={setCollapsed}
      trans={trans}
      empty={trans.__('No image matches.')}
      moreText={more => trans.__('Show %1 more images', more)}
      renderItem={props.renderItem}
    />
  );
}
