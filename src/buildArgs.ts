/**
 * The build form's private-repository credentials and build arguments (issue 14): the rows as
 * typed, and the checks the service makes (service/src/builds/validate.ts), made before sending
 * so that the user hears of a bad row at once, in words that name the field.
 */

import {
  BUILD_ARG_LIMITS,
  type GitCredentials
} from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';

/** One row of the build-arguments editor. */
export interface IBuildArgRow {
  /** Stable React key: rows are removed from the middle. */
  key: number;
  name: string;
  value: string;
}

/** A problem of one row (or of the editor as a whole when `key` is `null`). */
export interface IBuildArgProblem {
  key: number | null;
  /** Which input is at fault. */
  part: 'name' | 'value' | 'list';
  message: string;
}

const NAME = new RegExp(BUILD_ARG_LIMITS.name);
/** The service's limit on a name's length. */
const MAX_NAME_LENGTH = 128;
/** Set by repo2docker itself; the service refuses them (RESERVED_BUILD_ARGS). */
const RESERVED = new Set(['NB_USER', 'NB_UID', 'REPO_DIR']);
/** Control characters the service refuses in a value (a tab is allowed). */
const CONTROL_IN_VALUE =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

/** Bytes of `text` in UTF-8, as the service counts a value's size. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Rows left entirely empty are ignored: an added row the user did not fill in. */
function isBlank(row: IBuildArgRow): boolean {
  return row.name.trim() === '' && row.value === '';
}

/** The first problem of the rows, or `null` when the service would take them. */
export function checkBuildArgs(
  rows: readonly IBuildArgRow[],
  trans: TranslationBundle
): IBuildArgProblem | null {
  const filled = rows.filter(row => !isBlank(row));
  if (filled.length > BUILD_ARG_LIMITS.maxCount) {
    return {
      key: null,
      part: 'list',
      message: trans.__(
        'Build arguments: at most %1 can be given; remove %2.',
        BUILD_ARG_LIMITS.maxCount,
        filled.length - BUILD_ARG_LIMITS.maxCount
      )
    };
  }
  const seen = new Set<string>();
  for (const row of filled) {
    const name = row.name.trim();
    if (name === '') {
      return {
        key: row.key,
        part: 'name',
        message: trans.__('Build argument name: enter a name for this value.')
      };
    }
    if (!NAME.test(name) || name.length > MAX_NAME_LENGTH) {
      return {
        key: row.key,
        part: 'name',
        message: trans.__(
          'Build argument name "%1": use letters, digits and "_", not beginning with a digit, e.g. PYTHON_VERSION.',
          name
        )
      };
    }
    if (RESERVED.has(name) || name.startsWith('BUILDKIT_')) {
      return {
        key: row.key,
        part: 'name',
        message: trans.__(
          'Build argument name "%1": repo2docker sets it itself; choose another name.',
          name
        )
      };
    }
    if (seen.has(name)) {
      return {
        key: row.key,
        part: 'name',
        message: trans.__(
          'Build argument name "%1": given twice; remove one of the rows.',
          name
        )
      };
    }
    seen.add(name);
    if (utf8Length(row.value) > BUILD_ARG_LIMITS.maxValueBytes) {
      return {
        key: row.key,
        part: 'value',
        message: trans.__(
          'Build argument value of %1: at most %2 bytes (4 KiB); this one has %3.',
          name,
          BUILD_ARG_LIMITS.maxValueBytes,
          utf8Length(row.value)
        )
      };
    }
    if (CONTROL_IN_VALUE.test(row.value)) {
      return {
        key: row.key,
        part: 'value',
        message: trans.__(
          'Build argument value of %1: must be one line, without control characters.',
          name
        )
      };
    }
  }
  return null;
}

/** `BuildRequest.buildArgs` from the rows; `null` when there are none. */
export function buildArgsOf(
  rows: readonly IBuildArgRow[]
): Record<string, string> | null {
  const filled = rows.filter(row => !isBlank(row));
  if (filled.length === 0) {
    return null;
  }
  const args: Record<string, string> = {};
  for (const row of filled) {
    args[row.name.trim()] = row.value;
  }
  return args;
}

/** The username and token as typed (never stored anywhere but the form's memory). */
export interface ICredentialsInput {
  username: string;
  token: string;
}

export const NO_CREDENTIALS: ICredentialsInput = { username: '', token: '' };

/** A problem of the credentials: which input, and what to do. */
export interface ICredentialsProblem {
  part: 'username' | 'token';
  message: string;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Both or neither; one line each; only for an https:// (or http://) repository. */
export function checkCredentials(
  input: ICredentialsInput,
  repo: string,
  trans: TranslationBundle
): ICredentialsProblem | null {
  const username = input.username.trim();
  const token = input.token;
  if (username === '' && token === '') {
    return null;
  }
  if (username === '') {
    return {
      part: 'username',
      message: trans.__(
        'Username: enter the user name that goes with the token (for GitHub any name works, e.g. x-access-token).'
      )
    };
  }
  if (token === '') {
    return {
      part: 'token',
      message: trans.__(
        'Token: enter the access token or password for %1, or clear Username.',
        username
      )
    };
  }
  if (CONTROL.test(username)) {
    return {
      part: 'username',
      message: trans.__(
        'Username: must be one line, without spaces at its ends.'
      )
    };
  }
  if (CONTROL.test(token)) {
    return {
      part: 'token',
      message: trans.__(
        'Token: must be one line; paste the token alone, without a newline.'
      )
    };
  }
  if (!/^https?:\/\//i.test(repo.trim())) {
    return {
      part: 'username',
      message: trans.__(
        'Username and token work only with an https:// repository URL.'
      )
    };
  }
  return null;
}

/** `BuildRequest.credentials` from the inputs; `null` when none were given. */
export function credentialsOf(input: ICredentialsInput): GitCredentials | null {
  const username = input.username.trim();
  if (username === '' && input.token === '') {
    return null;
  }
  return { username, password: input.token };
}
