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
 * A password input whose value React never writes into the DOM: React mirrors a controlled
 * input's value into its `value` attribute, where the token would be readable in the page's
 * HTML (anything that serialises the DOM, a saved page, an extension). Here the value is set as
 * the element's property only, which the page's HTML does not carry.
 */
function SecretInput(
  props: Omit<React.InputHTMLAttributes<HTMLInputElement>, 'value'> & {
    value: string;
  }
): JSX.Element {
  const { value, ...rest } = props;
  const ref = React.useRef<HTMLInputElement>(null);
  React.useLayoutEffect(() => {
    if (ref.current && ref.current.value !== value) {
      ref.current.value = value;
    }
  }, [value]);
  return <input ref={ref} {...rest} />;
}

/**
 * Username and token of a private repository. The token is a password input that the browser
 * is told not to offer to save; the value lives only in the form's memory (see useBuildExtras)
 * and the input's property, never in the page's HTML (SecretInput).
 */
export function CredentialsFields(props: ICredentialsFieldsProps): JSX.Element {
  const { value, problem, trans } = props;
  const id = React.useId();
  const errorId = `${id}-credentials-error`;
  /** One labelled input with its problem under it; `part` names the input and its value. */
  const field = (
    part: ICredentialsProblem['part'],
    label: string,
    input: {
      type: 'text' | 'password';
      placeholder: string;
      title: string;
      autoComplete: string;
    }
  ) => {
    const invalid = problem?.part === part;
    const Input = input.type === 'password' ? SecretInput : 'input';
    return (
      <div className="jp-Repo2Docker-field">
        <label htmlFor={`${id}-${part}`}>{label}</label>
        <Input
          id={`${id}-${part}`}
          className="jp-mod-styled jp-Repo2Docker-input"
          type={input.type}
          value={value[part]}
          placeholder={input.placeholder}
          title={input.title}
          spellCheck={false}
          autoComplete={input.autoComplete}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={invalid ? errorId : undefined}
          onChange={event =>
            props.onChange({ ...value, [part]: event.target.value })
          }
        />
        {invalid && (
          <div className="jp-Repo2Docker-fieldError" id={errorId} role="alert">
            {problem.message}
          </div>
        )}
      </div>
    );
  };
  return (
    <div
      className="jp-Repo2Docker-credentials"
      role="group"
      aria-label={trans.__('Private repository')}
    >
      {field('username', trans.__('Username'), {
        type: 'text',
        placeholder: trans.__('optional: for a private repository'),
        title: trans.__(
          'The user name for a private https:// repository (with GitHub any name works with a token)'
        ),
        autoComplete: 'off'
      })}
      {field('token', trans.__('Token'), {
        type: 'password',
        placeholder: trans.__('optional: access token or password'),
        title: trans.__(
          'Used for this build only: sent to the service, never saved'
        ),
        // Not a login of this site: no password manager offers or saves it.
        autoComplete: 'new-password'
      })}
    </div>
  );
}
