import type { Build } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import { listIcon, stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { formatDuration, phaseLabel } from '../logs/phase';
import { isFinal } from '../model';
import { ActionButton } from './ActionButton';
import { msBetween, shortCommit, shortRepo } from './format';

export interface IBuildItemProps {
  build: Build;
  trans: TranslationBundle;
  canCancel: boolean;
  onCancel: (build: Build) => void;
  onOpenLogs: (build: Build) => void;
}

/** The current time, ticking every second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    if (!active) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return active ? now : Date.now();
}

/** One build: name, phase, elapsed time, progress, error; open its logs, cancel it. */
export function BuildItem(props: IBuildItemProps): JSX.Element {
  const { build, trans } = props;
  const active = !isFinal(build.phase);
  const now = useNow(active);
  const label = build.displayName || build.name;
  const elapsed = msBetween(build.startedAt ?? build.createdAt, build.finishedAt, now);
  const progress = build.progress;

  return (
    <li
      className={`jp-Repo2Docker-build jp-Repo2Docker-phase-${build.phase}`}
      data-build-id={build.id}
      aria-label={trans.__('Build %1', label)}
    >
      <div className="jp-Repo2Docker-itemHeader">
        <span className="jp-Repo2Docker-itemName" title={build.image}>
          {label}
        </span>
        <span className={`jp-Repo2Docker-phase jp-Repo2Docker-phase-${build.phase}`}>
          {phaseLabel(trans, build.phase)}
        </span>
      </div>
      <div className="jp-Repo2Docker-itemDetails">
        <span title={build.repo}>
          {shortRepo(build.repo)}
          {build.ref ? `@${build.ref}` : ''}
        </span>
        {build.commit && (
          <span className="jp-Repo2Docker-commit" title={build.commit}>
            {shortCommit(build.commit)}
          </span>
        )}
        <span
          className="jp-Repo2Docker-elapsed"
          title={active ? trans.__('Elapsed time') : trans.__('Duration')}
        >
          {formatDuration(elapsed, trans)}
        </span>
        {build.phase === 'queued' && build.queuePosition !== null && (
          <span>{trans.__('position %1 in queue', build.queuePosition)}</span>
        )}
      </div>
      {active && progress && progress.total > 0 && (
        <div className="jp-Repo2Docker-progress">
          <progress
            value={progress.current}
            max={progress.total}
            aria-label={trans.__('Build progress')}
          />
          <span>{trans.__('step %1 of %2', progress.current, progress.total)}</span>
        </div>
      )}
      {build.error && build.phase !== 'built' && (
        <div className="jp-Repo2Docker-buildError">{build.error}</div>
      )}
      <div className="jp-Repo2Docker-itemActions">
        <ActionButton
          icon={listIcon}
          text={trans.__('Logs')}
          title={trans.__('Open the log of this build')}
          label={trans.__('Open logs of %1', label)}
          onClick={() => props.onOpenLogs(build)}
        />
        {props.canCancel && (
          <ActionButton
            icon={stopIcon}
            text={trans.__('Cancel')}
            title={trans.__('Cancel this build')}
            label={trans.__('Cancel build of %1', label)}
            onClick={() => props.onCancel(build)}
          />
        )}
      </div>
    </li>
  );
}
