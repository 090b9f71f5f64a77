import type { MissingScope } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { scopeConfigHint } from '../errors';
import { canBuild, canRead } from '../permissions';
import type { EnvironmentsModel } from '../model';

export interface IServiceStatusProps {
  model: EnvironmentsModel;
  trans: TranslationBundle;
  /** Reload the page (defaults to `window.location.reload`). */
  onReload?: () => void;
}

/**
 * What keeps the panel from working fully, in plain words: the service's error with what to do
 * about it, or the scopes the user lacks (read-only mode) and the configuration that grants them.
 */
export function ServiceStatus(props: IServiceStatusProps): JSX.Element | null {
  const { model, trans } = props;
  const error = model.error;
  const info = model.info;
  // The admin scope is not something a user lacks: it is not shown as missing.
  const missing: MissingScope[] = (info?.user.missing ?? []).filter(
    m => m.grants !== 'admin'
  );

  if (error) {
    let diagnosis = error.diagnosis;
    if (error.kind === 'missing_scope' && error.scope) {
      diagnosis =
        info?.user.missing.find(m => m.scope === error.scope)?.hint ||
        scopeConfigHint(error.scope, trans);
    }
    return (
      <div
        className="jp-Repo2Docker-status jp-Repo2Docker-status-error"
        role="alert"
        data-kind={error.kind}
      >
        <p className="jp-Repo2Docker-statusMessage">{error.message}</p>
        {error.kind === 'missing_scope' && error.scope && (
          <p>
            {trans.__('Missing scope:')}{' '}
            <code className="jp-Repo2Docker-scope">{error.scope}</code>
          </p>
        )}
        {diagnosis && <p className="jp-Repo2Docker-diagnosis">{diagnosis}</p>}
        {model.outageSince !== null && (
          <p className="jp-Repo2Docker-outage" data-gave-up={model.gaveUp}>
            {model.gaveUp
              ? trans.__(
                  'No answer since %1: stopped trying. Press Retry once the service is back; builds that were running when it restarted are lost.',
                  new Date(model.outageSince).toLocaleTimeString()
                )
              : trans.__(
                  'No answer since %1; trying again by itself, and the lists catch up as soon as it is back.',
                  new Date(model.outageSince).toLocaleTimeString()
                )}
          </p>
        )}
        <div className="jp-Repo2Docker-statusActions">
          {error.kind === 'unauthorized' ? (
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-mod-accept"
              onClick={props.onReload ?? (() => window.location.reload())}
            >
              {trans.__('Reload JupyterLab')}
            </button>
          ) : (
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-mod-reject"
              onClick={() => void model.refresh({ force: true })}
            >
              {trans.__('Retry')}
            </button>
          )}
        </div>
      </div>
    );
  }

  if (!info || missing.length === 0) {
    return null;
  }
  const user = info.user;
  let summary: string;
  if (!user.permissions.access || !canRead(user)) {
    summary = trans.__('You cannot see the images and builds of this service.');
  } else if (!canBuild(user)) {
    summary = trans.__(
      'Read-only: you can see images and builds, but not build or delete them.'
    );
  } else {
    summary = trans.__('Some actions are not available to you.');
  }
  return (
    <div
      className="jp-Repo2Docker-status jp-Repo2Docker-status-warning"
      role="note"
    >
      <p className="jp-Repo2Docker-statusMessage">{summary}</p>
      <ul className="jp-Repo2Docker-missing">
        {missing.map(m => (
          <li key={m.scope}>
            {trans.__('Your token lacks the scope')}{' '}
            <code className="jp-Repo2Docker-scope">{m.scope}</code>
            {m.hint ? (
              <p className="jp-Repo2Docker-diagnosis">{m.hint}</p>
            ) : (
              <p className="jp-Repo2Docker-diagnosis">
                {scopeConfigHint(m.scope, trans)}
              </p>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
