import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { EnvironmentsModel } from '../../model';
import type { ServerLauncher } from '../../hub/launcher';
import { HubProblem } from './HubProblem';
import type { ILaunchActionsContext } from './LaunchActions';
import { RunningServers } from './RunningServers';
import { ServerStarts } from './ServerStarts';
import { useLauncher } from './useLauncher';

export {
  BuildLaunchActions,
  ImageLaunchActions,
  startAfterBuild
} from './LaunchActions';

/** What the panel's launch buttons need: the launcher and the panel's copy and error report. */
export function useLaunchContext(options: {
  model: EnvironmentsModel;
  trans: TranslationBundle;
  copy: (text: string) => void;
  reportError: (error: unknown) => void;
  launcher?: ServerLauncher;
}): ILaunchActionsContext {
  const launcher = useLauncher(options.model, options.trans, options.launcher);
  return {
    launcher,
    trans: options.trans,
    copy: options.copy,
    reportError: options.reportError
  };
}

/**
 * The panel's launch part: why servers cannot start (when so), the starts under way, and the
 * Running servers section.
 */
export function LaunchSection(props: {
  context: ILaunchActionsContext;
}): JSX.Element {
  const { launcher, trans, reportError } = props.context;
  return (
    <div className="jp-Repo2Docker-launch">
      <HubProblem launcher={launcher} trans={trans} />
      <ServerStarts launcher={launcher} trans={trans} />
      <RunningServers
        launcher={launcher}
        trans={trans}
        reportError={reportError}
      />
    </div>
  );
}
