import type { Image, Info } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import {
  canChangeSharing,
  sharedWithYou,
  sharingOf,
  splitImages
} from '../sharing';
import type { IImageShareProps } from './ImageExtras';
import { ImageItem } from './ImageItem';
import { type IMoreItems, ListSection } from './ListSection';
import { SharedWithYou } from './SharedWithYou';

/** Sharing in the image list (issue 14): who the user is, and the Share dialog. */
export interface IImageListSharing {
  user: Info['user'] | null;
  /**
   * How many images are shared with the user before the filter (with a paging service: on the
   * page listed, which is all the panel knows).
   */
  sharedTotal: number;
  onShare: (image: Image, label: string) => void;
}

export interface IImageListProps {
  /** The images to list (filtered). */
  images: readonly Image[];
  /** How many images there are before the filter. */
  total: number;
  /**
   * With a paging service: how many images match (the page's `total`), and the next page. The
   * images are then that page, filtered by the service.
   */
  paging?: { matching: number; more: IMoreItems };
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
  /** Without it, every image is listed under Images, without badges. */
  sharing?: IImageListSharing;
  /** Launch buttons of an image (issue 13, `components/launch`). */
  renderLaunchActions?: (image: Image) => React.ReactNode;
}

/** The images the user may see: their own and the shared ones (everyone's for admins). */
export function ImageList(props: IImageListProps): JSX.Element {
  const { trans, sharing } = props;
  // Others' images shared with the user get their own section, after the user's.
  const split = sharing
    ? splitImages(sharing.user, props.images)
    : { own: [...props.images], shared: [] };
  const images = split.own;
  const total = props.total - (sharing?.sharedTotal ?? 0);
  const paging = props.paging;
  // The shared ones of the page are counted in their own section.
  const shown = paging
    ? Math.max(0, paging.matching - split.shared.length)
    : undefined;
  const shareOf = (image: Image): IImageShareProps | undefined => {
    if (!sharing) {
      return undefined;
    }
    const own = canChangeSharing(sharing.user, image);
    return {
      visibility: own ? sharingOf(image) : null,
      sharedWithYou: sharedWithYou(sharing.user, image),
      onShare: own ? sharing.onShare : undefined
    };
  };
  const renderItem = (image: Image) => (
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
      share={shareOf(image)}
      launchActions={props.renderLaunchActions?.(image)}
    />
  );
  return (
    <>
      <ListSection
        title={trans.__('Images')}
        items={images}
        shown={shown}
        more={paging?.more}
        total={total}
        collapsed={props.collapsed}
        onToggle={props.onToggle}
        trans={trans}
        empty={
          total > 0
            ? trans.__('No image matches.')
            : sharing && sharing.sharedTotal > 0
              ? trans.__('No images of your own.')
              : trans.__('No images.')
        }
        moreText={more => trans.__('Show %1 more images', more)}
        renderItem={renderItem}
      />
      {sharing && (
        <SharedWithYou
          images={split.shared}
          total={sharing.sharedTotal}
          trans={trans}
          renderItem={renderItem}
        />
      )}
    </>
  );
}
