import { PageConfig } from '@jupyterlab/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { EnvironmentsModel } from '../../model';
import { HubClient } from '../../hub/hubApi';
import { ServerLauncher } from '../../hub/launcher';

/**
 * The panel's launcher: the one given (the plugin's, or a test's), else one made for this page
 * from the page config (a hub client under JupyterHub, none on a laptop), started on mount and
 * disposed on unmount. Re-renders whenever it changes.
 */
export function useLauncher(
  model: EnvironmentsModel,
  trans: TranslationBundle,
  given?: ServerLauncher
): ServerLauncher {
  const launcher = React.useMemo(
    () =>
      given ??
      new ServerLauncher({
        model,
        trans,
        hub: HubClient.fromPageConfig({ pageConfig: PageConfig, trans })
      }),
    // The bundle is the panel's for its whole life: a new one does not make a new launcher.
    [model, given]
  );
  const [, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setVersion(version => version + 1);
    launcher.stateChanged.connect(onChange);
    if (!given) {
      void launcher.start();
    }
    return () => {
      launcher.stateChanged.disconnect(onChange);
      if (!given) {
        launcher.dispose();
      }
    };
  }, [launcher, given]);
  return launcher;
}
