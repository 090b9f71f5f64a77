import type { BuildRequest } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import {
  buildArgsOf,
  checkBuildArgs,
  checkCredentials,
  credentialsOf,
  NO_CREDENTIALS,
  type IBuildArgProblem,
  type IBuildArgRow,
  type ICredentialsInput,
  type ICredentialsProblem
} from '../buildArgs';
import { isServiceError } from '../errors';
import { BuildArgsEditor } from './BuildArgsEditor';
import { CredentialsFields } from './CredentialsFields';

/** What the build form needs of the private-repository and build-argument fields. */
export interface IBuildExtras {
  /** The fields, for the form's Advanced part. */
  fields: JSX.Element;
  /** Check the fields before sending; `false` (problem shown) when the service would refuse them. */
  check(repo: string): boolean;
  /** Add `credentials` and `buildArgs` to the request, when given. */
  addTo(body: BuildRequest): void;
  /** Show a 400 about `credentials…` or `buildArgs…` at its field; `false` for other errors. */
  showServiceError(reason: unknown): boolean;
  /** Forget the token: called once the request is answered, whatever the answer. */
  forgetSecret(): void;
}

/**
 * The state of the Username, Token and build-argument fields of the build form (issue 14).
 *
 * The token lives in this React state only: never in the model, the state database, the
 * settings or a log line; it is cleared as soon as the request it went with is answered.
 */
export function useBuildExtras(trans: TranslationBundle): IBuildExtras {
  const [credentials, setCredentials] =
    React.useState<ICredentialsInput>(NO_CREDENTIALS);
  const [rows, setRows] = React.useState<IBuildArgRow[]>([]);
  const [credentialsProblem, setCredentialsProblem] =
    React.useState<ICredentialsProblem | null>(null);
  const [argsProblem, setArgsProblem] = React.useState<IBuildArgProblem | null>(
    null
  );

  const fields = (
    <>
      <CredentialsFields
        value={credentials}
        problem={credentialsProblem}
        trans={trans}
        onChange={value => {
          setCredentials(value);
          setCredentialsProblem(null);
        }}
      />
      <BuildArgsEditor
        rows={rows}
        problem={argsProblem}
        trans={trans}
        onChange={value => {
          setRows(value);
          setArgsProblem(null);
        }}
      />
    </>
  );

  return {
    fields,
    check(repo: string): boolean {
      const credentialsError = checkCredentials(credentials, repo, trans);
      const argsError = checkBuildArgs(rows, trans);
      setCredentialsProblem(credentialsError);
      setArgsProblem(argsError);
      return credentialsError === null && argsError === null;
    },
    addTo(body: BuildRequest): void {
      const given = credentialsOf(credentials);
      if (given) {
        body.credentials = given;
      }
      const args = buildArgsOf(rows);
      if (args) {
        body.buildArgs = args;
      }
    },
    showServiceError(reason: unknown): boolean {
      if (!isServiceError(reason) || reason.kind !== 'invalid') {
        return false;
      }
      const field = reason.field ?? '';
      if (field === 'credentials' || field.startsWith('credentials.')) {
        setCredentialsProblem({
          part: field === 'credentials.username' ? 'username' : 'token',
          message:
            field === 'credentials.username'
              ? trans.__('Username: %1', reason.message)
              : trans.__('Token: %1', reason.message)
        });
        return true;
      }
      if (field === 'buildArgs' || field.startsWith('buildArgs.')) {
        const name = field.slice('buildArgs.'.length);
        const row = name ? rows.find(r => r.name.trim() === name) : undefined;
        setArgsProblem({
          key: row?.key ?? null,
          part: 'name',
          message: trans.__('Build arguments: %1', reason.message)
        });
        return true;
      }
      return false;
    },
    forgetSecret(): void {
      setCredentials(value => ({ ...value, token: '' }));
    }
  };
}
