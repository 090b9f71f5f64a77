import type { TranslationBundle } from '@jupyterlab/translation';
import { launchIcon, stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IEnvironmentServer, ServerLauncher } from '../../hub/launcher';
import { ActionButton } from '../ActionButton';
import { Section } from '../Section';

export interface IRunningServersProps {
  launcher: ServerLauncher;
  trans: TranslationBundle;
  /** Tell the user a stop failed. */
  reportError: (error: unknown) => void;
}

/** The user's named servers that run an environment: open, stop. */
export function RunningServers(
  props: IRunningServersProps
): JSX.Element | null {
  const { launcher, trans } = props;
  const [collapsed, setCollapsed] = React.useState(false);
  const servers = launcher.servers;
  if (launcher.mode !== 'hub' || servers.length === 0) {
    return null;
  }
  return (
    <Section
      title={trans.__('Running servers')}
      shown={servers.length}
      total={servers.length}
      collapsed={collapsed}
      onToggle={setCollapsed}
      trans={trans}
    >
      <ul
        className="jp-Repo2Docker-list"
        aria-label={trans.__('Running servers')}
      >
        {servers.map(server => (
          <RunningServerItem
            key={server.name}
            server={server}
            stopping={launcher.isStopping(server.name)}
            trans={trans}
            onOpen={() => launcher.open(server.labUrl)}
            onStop={() => launcher.stop(server.name).catch(props.reportError)}
          />
        ))}
      </ul>
    </Section>
  );
}

function RunningServerItem(props: {
  server: IEnvironmentServer;
  stopping: boolean;
  trans: TranslationBundle;
  onOpen: () => void;
  onStop: () => void;
}): JSX.Element {
  const { server, trans } = props;
  const state = props.stopping
    ? trans.__('Stopping')
    : server.pending === 'spawn'
      ? trans.__('Starting')
      : server.pending === 'stop'
        ? trans.__('Stopping')
        : server.ready
          ? trans.__('Running')
          : trans.__('Not ready');
  return (
    <li className="jp-Repo2Docker-server" data-server-name={server.name}>
      <div className="jp-Repo2Docker-itemHeader">
        <span className="jp-Repo2Docker-itemName" title={server.labUrl}>
          {server.name}
        </span>
        <span className="jp-Repo2Docker-badge">{state}</span>
      </div>
      <div className="jp-Repo2Docker-itemDetails">
        <span title={server.image}>{server.label}</span>
      </div>
      <div className="jp-Repo2Docker-itemActions">
        {server.ready && (
          <ActionButton
            icon={launchIcon}
            text={trans.__('Open')}
            title={trans.__('Open its JupyterLab in a new tab')}
            label={trans.__('Open %1', server.name)}
            onClick={props.onOpen}
          />
        )}
        {!props.stopping && server.pending !== 'stop' && (
          <ActionButton
            icon={stopIcon}
            text={trans.__('Stop')}
            title={trans.__('Stop this server and remove it')}
            label={trans.__('Stop %1', server.name)}
            onClick={props.onStop}
          />
        )}
      </div>
    </li>
  );
}
