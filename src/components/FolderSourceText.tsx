import type { FolderSource } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

/** How many hex digits of a folder's digest are shown (folder-design.md §5). */
const SHORT_DIGEST = 12;

/**
 * Where a folder build or image came from (issue 18), in the place of the repository and commit:
 * `folder <path>` and the first hex digits of the folder's content digest.
 */
export function FolderSourceText(props: {
  folder: FolderSource;
  trans: TranslationBundle;
}): JSX.Element {
  const { folder, trans } = props;
  const hex = folder.digest.replace(/^sha256:/, '');
  return (
    <>
      <span title={trans.__('Built from a folder uploaded from JupyterLab')}>
        {trans.__('folder %1', folder.path || '/')}
      </span>
      <span className="jp-Repo2Docker-commit" title={folder.digest}>
        {hex.slice(0, SHORT_DIGEST)}
      </span>
    </>
  );
}
