import type { Build } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { BuildItem } from './BuildItem';

export interface IBuildListProps {
  builds: readonly Build[];
  trans: TranslationBundle;
  canCancel: (build: Build) => boolean;
  onCancel: (build: Build) => void;
  onOpenLogs: (build: Build) => void;
}

/** The builds: active ones first, then recent ones. */
export function BuildList(props: IBuildListProps): JSX.Element {
  const { builds, trans } = props;
  return (
    <section className="jp-Repo2Docker-section" aria-label={trans.__('Builds')}>
      <h3 className="jp-Repo2Docker-sectionTitle">
        {trans.__('Builds')}
        <span className="jp-Repo2Docker-count">{builds.length}</span>
      </h3>
      {builds.length === 0 ? (
        <p className="jp-Repo2Docker-empty">{trans.__('No builds.')}</p>
      ) : (
        <ul className="jp-Repo2Docker-list">
          {builds.map(build => (
            <BuildItem
              key={build.id}
              build={build}
              trans={trans}
              canCancel={props.canCancel(build)}
              onCancel={props.onCancel}
              onOpenLogs={props.onOpenLogs}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
