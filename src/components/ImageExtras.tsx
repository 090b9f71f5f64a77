import type {
  Build,
  Image,
  Sharing
} from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { sharedWithYouText, type ISharedWithYou } from '../sharing';

/** What an image row shows about its sharing. */
export interface IImageShareProps {
  /** The badge of an own image; `null` on others' images. */
  visibility: Sharing | null;
  /** How someone else's image reached the user (the "Shared with you" rows). */
  sharedWithYou: ISharedWithYou | null;
  /** Open the Share dialog (own images only), with the row's label. */
  onShare?: (image: Image, label: string) => void;
}

export interface IBuildFactsProps {
  /** Whether it was built with credentials (a private repository). */
  private: boolean;
  /** Names of its build arguments (values are never shown: they may be long or personal). */
  buildArgs: readonly string[];
  trans: TranslationBundle;
}

/** "private" and the build-argument names of a build or an image; nothing when it has neither. */
export function BuildFacts(props: IBuildFactsProps): JSX.Element | null {
  const { trans } = props;
  if (!props.private && props.buildArgs.length === 0) {
    return null;
  }
  return (
    <div className="jp-Repo2Docker-itemDetails jp-Repo2Docker-buildFacts">
      {props.private && (
        <span
          className="jp-Repo2Docker-private"
          title={trans.__(
            'Built from a private repository with a username and token: only its owner may use it'
          )}
        >
          {trans.__('private')}
        </span>
      )}
      {props.buildArgs.length > 0 && (
        <span
          className="jp-Repo2Docker-buildArgNames"
          title={trans.__('Build arguments it was built with')}
        >
          {trans.__('build arguments: %1', props.buildArgs.join(', '))}
        </span>
      )}
    </div>
  );
}

/** The facts of an image (an older service may send neither field). */
export function imageFacts(image: Image): {
  private: boolean;
  buildArgs: string[];
} {
  const partial = image as Partial<Image>;
  return {
    private: partial.private === true,
    buildArgs: Array.isArray(partial.buildArgs) ? partial.buildArgs : []
  };
}

/** The facts of a build: its argument names, sorted as the service sorts them. */
export function buildFacts(build: Build): {
  private: boolean;
  buildArgs: string[];
} {
  const partial = build as Partial<Build>;
  const args =
    partial.buildArgs && typeof partial.buildArgs === 'object'
      ? Object.keys(partial.buildArgs).sort()
      : [];
  return { private: partial.private === true, buildArgs: args };
}

export interface ISharedByLineProps {
  shared: ISharedWithYou;
  trans: TranslationBundle;
}

/** "shared by alice · via course-101" (or "with everyone") on an image of someone else's. */
export function SharedByLine(props: ISharedByLineProps): JSX.Element {
  const words = sharedWithYouText(props.shared, props.trans);
  return (
    <div className="jp-Repo2Docker-itemDetails jp-Repo2Docker-sharedBy">
      <span>{words.by}</span>
      <span>{words.how}</span>
    </div>
  );
}
