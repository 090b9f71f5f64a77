import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { dockerRunCommand } from '../../hub/dockerRun';

/** The body: what the command does, and the command itself to read and select. */
export function DockerRunBody(props: {
  command: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-Repo2Docker-dockerRun">
      <p>
        {trans.__(
          'Run this in a terminal on this machine; open the http://127.0.0.1:8888/lab?token=… address it prints.'
        )}
      </p>
      <pre
        className="jp-Repo2Docker-command"
        aria-label={trans.__('docker run command')}
      >
        {props.command}
      </pre>
    </div>
  );
}

/**
 * Laptop mode's "Start server": a dialog `Start JupyterLab in <label>` with the `docker run`
 * command for the image, and a Copy button that puts it on the clipboard.
 */
export async function showDockerRunDialog(options: {
  image: string;
  label: string;
  trans: TranslationBundle;
  copy: (text: string) => void;
}): Promise<void> {
  const { trans } = options;
  const command = dockerRunCommand(options.image);
  const result = await showDialog({
    title: trans.__('Start JupyterLab in %1', options.label),
    body: <DockerRunBody command={command} trans={trans} />,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Close') }),
      Dialog.okButton({ label: trans.__('Copy') })
    ]
  });
  if (result.button.accept) {
    options.copy(command);
  }
}
