import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { IServerStart, ServerLauncher } from '../../hub/launcher';

export interface IServerStartsProps {
  launcher: ServerLauncher;
  trans: TranslationBundle;
}

/**
 * Starts under way: per start a progress bar named `Starting server <name>` and the hub's latest
 * message; a start that failed says why (and what to change) until dismissed.
 */
export function ServerStarts(props: IServerStartsProps): JSX.Element | null {
  const { launcher, trans } = props;
  const starts = launcher.starts;
  if (starts.length === 0) {
    return null;
  }
  return (
    <ul
      className="jp-Repo2Docker-list jp-Repo2Docker-starts"
      aria-label={trans.__('Server starts')}
    >
      {starts.map(start => (
        <ServerStartItem
          key={start.key}
          start={start}
          launcher={launcher}
          trans={trans}
        />
      ))}
    </ul>
  );
}

function ServerStartItem(props: {
  start: IServerStart;
  launcher: ServerLauncher;
  trans: TranslationBundle;
}): JSX.Element {
  const { start, launcher, trans } = props;
  const item = React.useRef<HTMLLIElement>(null);
  React.useEffect(() => {
    // The button pressed may be far down the image list: bring the new start into view.
    item.current?.scrollIntoView?.({ block: 'nearest' });
  }, []);
  const title =
    start.status === 'building'
      ? trans.__('Build and start %1', start.label)
      : trans.__('Server %1 in %2', start.name, start.label);
  return (
    <li
      ref={item}
      className={`jp-Repo2Docker-start jp-Repo2Docker-start-${start.status}`}
      data-server-name={start.name || undefined}
    >
      <div className="jp-Repo2Docker-itemHeader">
        <span className="jp-Repo2Docker-itemName">{title}</span>
      </div>
      {start.status === 'starting' && (
        <progress
          className="jp-Repo2Docker-startProgress"
          max={100}
          value={start.progress ?? undefined}
          aria-label={trans.__('Starting server %1', start.name)}
        />
      )}
      <p
        className="jp-Repo2Docker-startMessage"
        role={start.status === 'failed' ? 'alert' : 'status'}
      >
        {start.message}
      </p>
      {start.status === 'failed' && start.diagnosis && (
        <p className="jp-Repo2Docker-diagnosis">{start.diagnosis}</p>
      )}
      {(start.status === 'failed' || start.status === 'ready') && (
        <div className="jp-Repo2Docker-itemActions">
          {start.status === 'ready' && start.url && (
            <a
              className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton"
              href={start.url}
              target="_blank"
              rel="noopener"
              onClick={() => launcher.dismiss(start.key)}
            >
              {trans.__('Open %1', start.name)}
            </a>
          )}
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton"
            onClick={() => launcher.dismiss(start.key)}
          >
            {trans.__('Dismiss')}
          </button>
        </div>
      )}
    </li>
  );
}
