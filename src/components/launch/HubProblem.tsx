import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { ServerLauncher } from '../../hub/launcher';

/**
 * Why servers cannot be started from here (the token lacks hub scopes, named servers are off),
 * with the configuration an administrator changes; nothing when nothing is known to be wrong.
 */
export function HubProblem(props: {
  launcher: ServerLauncher;
  trans: TranslationBundle;
}): JSX.Element | null {
  const problem = props.launcher.problem;
  if (!problem || props.launcher.mode !== 'hub') {
    return null;
  }
  return (
    <div
      className="jp-Repo2Docker-notice jp-Repo2Docker-hubProblem"
      role="note"
      data-problem={problem.kind}
    >
      <p>{problem.message}</p>
      <p className="jp-Repo2Docker-diagnosis">{problem.diagnosis}</p>
    </div>
  );
}
