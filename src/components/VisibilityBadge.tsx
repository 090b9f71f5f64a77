import type { Sharing } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { visibilityText } from '../sharing';

export interface IVisibilityBadgeProps {
  sharing: Sharing;
  trans: TranslationBundle;
}

/** Who may see and start an own image: `Only me`, `Groups: a, b` or `Everyone`. */
export function VisibilityBadge(props: IVisibilityBadgeProps): JSX.Element {
  const { sharing, trans } = props;
  return (
    <span
      className={`jp-Repo2Docker-badge jp-Repo2Docker-visibility jp-Repo2Docker-visibility-${sharing.visibility}`}
      title={trans.__('Who may see and start this image')}
    >
      {visibilityText(sharing, trans)}
    </span>
  );
}
