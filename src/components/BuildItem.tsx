import type { Build } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import { listIcon, stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { formatDuration, phaseLabel } from '../logs/phase';
import { isFinal } from '../model';
import { errorSummary, finishedSteps } from '../words';
import { ActionButton } from './ActionButton';
import { FolderSourceText } from './FolderSourceText';
import { buildLabel, msBetween, shortCommit, shortRepo } from './format';
import { BuildFacts, buildFacts } from './ImageExtras';

export interface IBuildItemProps {
  build: Build;
  trans: TranslationBundle;
  canCancel: boolean;
  /** Whether the service keeps its log ("Show log" only then). */
  hasLog: boolean;
  /** The service lost this build (it restarted): its log is gone. */
  gone?: boolean;
  onCancel: (build: Build) => void;
  onOpenLogs: (build: Build) => void;
  /** Launch (issue 13): Copy launch link (`components/launch`). */
  launchActions?: React.ReactNode;
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

/**
 * One build: name, phase, elapsed time, progress (finished steps), and for a failed build one
 * line saying why, with the whole message on demand; show its log, cancel it.
 */
export function BuildItem(props: IBuildItemProps): JSX.Element {
  const { build, trans } = props;
  const active = !isFinal(build.phase);
  const now = useNow(active);
  const label = build.displayName || build.name;
  const elapsed = msBetween(
    build.startedAt ?? build.createdAt,
    build.finishedAt,
    now
  );
  const progress = build.progress;
  const [detailsShown, setDetailsShown] = React.useState(false);
  const id = React.useId();
  const summary = build.error ? errorSummary(build.error, trans) : '';
  const hasMore = !!build.error && summary !== build.error.trim();
  const done = progress ? finishedSteps(progress, build.phase === 'built') : 0;

  return (
    <li
      className={`jp-Repo2Docker-build jp-Repo2Docker-phase-${build.phase}${props.gone ? ' jp-mod-gone' : ''}`}
      data-build-id={build.id}
      aria-label={trans.__('Build %1', label)}
    >
      <div className="jp-Repo2Docker-itemHeader">
        <span className="jp-Repo2Docker-itemName" title={build.image}>
          {label}
        </span>
        <span
          className={`jp-Repo2Docker-phase jp-Repo2Docker-phase-${props.gone ? 'gone' : build.phase}`}
        >
          {props.gone ? trans.__('Gone') : phaseLabel(trans, build.phase)}
        </span>
      </div>
      <div className="jp-Repo2Docker-itemDetails">
        {build.folder ? (
          <FolderSourceText folder={build.folder} trans={trans} />
        ) : (
          <>
            <span title={build.repo}>
              {shortRepo(build.repo)}
              {build.ref ? `@${build.ref}` : ''}
            </span>
            {build.commit && (
              <span className="jp-Repo2Docker-commit" title={build.commit}>
                {shortCommit(build.commit)}
              </span>
            )}
          </>
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
      <BuildFacts {...buildFacts(build)} trans={trans} />
      {active && progress && progress.total > 0 && (
        <div className="jp-Repo2Docker-progress">
          <progress
            value={done}
            max={progress.total}
            aria-label={trans.__('Steps finished')}
          />
          <span>{trans.__('%1 of %2 steps done', done, progress.total)}</span>
        </div>
      )}
      {build.error && build.phase !== 'built' && (
        <div className="jp-Repo2Docker-buildError">
          <div className="jp-Repo2Docker-errorLine">
            <span className="jp-Repo2Docker-errorSummary" title={summary}>
              {summary}
            </span>
            {hasMore && (
              <button
                type="button"
                className="jp-Button jp-mod-minimal jp-Repo2Docker-detailsToggle"
                aria-expanded={detailsShown}
                aria-controls={`${id}-details`}
                onClick={() => setDetailsShown(shown => !shown)}
              >
                {detailsShown ? trans.__('Less') : trans.__('Details')}
              </button>
            )}
          </div>
          {hasMore && detailsShown && (
            <pre className="jp-Repo2Docker-errorDetails" id={`${id}-details`}>
              {build.error}
            </pre>
          )}
        </div>
      )}
      <div className="jp-Repo2Docker-itemActions">
        {props.hasLog && (
          <ActionButton
            icon={listIcon}
            text={trans.__('Show log')}
            title={trans.__('Open the log of this build')}
            label={trans.__('Show log of %1', buildLabel(build, trans))}
            onClick={() => props.onOpenLogs(build)}
          />
        )}
        {props.canCancel && (
          <ActionButton
            icon={stopIcon}
            text={trans.__('Cancel')}
            title={trans.__('Cancel this build')}
            label={trans.__('Cancel build of %1', label)}
            onClick={() => props.onCancel(build)}
          />
        )}
        {props.launchActions}
      </div>
    </li>
  );
}
