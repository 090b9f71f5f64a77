import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { ICredentialsInput, ICredentialsProblem } from '../buildArgs';

export interface ICredentialsFieldsProps {
  value: ICredentialsInput;
  onChange: (value: ICredentialsInput) => void;
  /** The problem to show under its input, if any. */
  problem: ICredentialsProblem | null;
  trans: TranslationBundle;
}

/**
 * Username and token of a private repository. The token is a password input that the browser
 * is told not to offer to save; the value lives only in the form's memory (see useBuildExtras).
 */
export function CredentialsFields(props: ICredentialsFieldsProps): JSX.Element {
  const { value, problem, trans } = props;
  const id = React.useId();
  const errorId = `${id}-credentials-error`;
  const error = (part: ICredentialsProblem['part']) =>
    problem?.part === part ? (
      <div className="jp-Repo2Docker-fieldError" id={errorId} role="alert">
        {problem.message}
      </div>
    ) : null;
  return (
    <div
      className="jp-Repo2Docker-credentials"
      role="group"
      aria-label={trans.__('Private repository')}
    >
      <div className="jp-Repo2Docker-field">
        <label htmlFor={`${id}-username`}>{trans.__('Username')}</label>
        <input
          id={`${id}-username`}
          className="jp-mod-styled jp-Repo2Docker-input"
          type="text"
          value={value.username}
          placeholder={trans.__('optional: for a private repository')}
          title={trans.__(
            'The user name for a private https:// repository (with GitHub any name works with a token)'
          )}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={problem?.part === 'username' ? true : undefined}
          aria-describedby={problem?.part === 'username' ? errorId : undefined}
          onChange={event =>
            props.onChange({ ...value, username: event.target.value })
          }
        />
        {error('username')}
      </div>
      <div className="jp-Repo2Docker-field">
        <label htmlFor={`${id}-token`}>{trans.__('Token')}</label>
        <input
          id={`${id}-token`}
          className="jp-mod-styled jp-Repo2Docker-input"
          type="password"
          value={value.token}
          placeholder={trans.__('optional: access token or password')}
          title={trans.__(
            'Used for this build only: sent to the service, never saved'
          )}
          spellCheck={false}
          // Not a login of this site: no password manager offers or saves it.
          autoComplete="new-password"
          aria-invalid={problem?.part === 'token' ? true : undefined}
          aria-describedby={problem?.part === 'token' ? errorId : undefined}
          onChange={event =>
            props.onChange({ ...value, token: event.target.value })
          }
        />
        {error('token')}
      </div>
    </div>
  );
}
