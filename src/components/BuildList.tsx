import type { Build } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { BuildItem } from './BuildItem';
import { ListSection } from './ListSection';

export interface IBuildListProps {
  /** The builds to list (filtered). */
  builds: readonly Build[];
  /** How many builds there are before the filter. */
  total: number;
  trans: TranslationBundle;
  collapsed: boolean;
  onToggle: (collapsed: boolean) => void;
  canCancel: (build: Build) => boolean;
  hasLog: (build: Build) => boolean;
  isGone: (build: Build) => boolean;
  onCancel: (build: Build) => void;
  onOpenLogs: (build: Build) => void;
  /** Finished builds that "Clear finished" would hide; the button shows only when > 0. */
  finishedCount: number;
  onClearFinished: () => void;
  /** Cleared builds that "Show cleared" would bring back. */
  hiddenCount: number;
  onShowHidden: () => void;
  /** Launch buttons of a build (issue 13, `components/launch`). */
  renderLaunchActions?: (build: Build) => React.ReactNode;
}

/** The builds: active ones first, then recent ones; finished ones can be cleared. */
export function BuildList(props: IBuildListProps): JSX.Element {
  const { builds, trans } = props;
  const actions = (
    <>
      {props.finishedCount > 0 && (
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton"
          title={trans.__('Hide the finished builds from this list')}
          onClick={props.onClearFinished}
        >
          {trans.__('Clear finished')}
        </button>
      )}
      {props.hiddenCount > 0 && (
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton"
          title={trans.__('List the builds you cleared again')}
          onClick={props.onShowHidden}
        >
          {trans.__('Show %1 cleared', props.hiddenCount)}
        </button>
      )}
    </>
  );
  return (
    <ListSection
      title={trans.__('Builds')}
      items={builds}
      total={props.total}
      collapsed={props.collapsed}
      onToggle={props.onToggle}
      trans={trans}
      actions={actions}
      empty={
        props.total > 0 ? trans.__('No build matches.') : trans.__('No builds.')
      }
      moreText={more => trans.__('Show %1 more builds', more)}
      renderItem={build => (
        <BuildItem
          key={build.id}
          build={build}
          trans={trans}
          canCancel={props.canCancel(build)}
          hasLog={props.hasLog(build)}
          gone={props.isGone(build)}
          onCancel={props.onCancel}
          onOpenLogs={props.onOpenLogs}
          launchActions={props.renderLaunchActions?.(build)}
        />
      )}
    />
  );
}
