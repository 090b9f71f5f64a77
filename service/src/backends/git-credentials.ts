/**
 * A username and token for ONE build's private repository, handed to git without ever being
 * written down: not in argv, not in the URL, not in any file. git learns them from a credential
 * helper whose command is a constant path (a script of ours, written into the build's own 0700
 * directory, that prints two variables of its own environment), and the values travel only in
 * the environment of the git processes of that build. The helper is configured for the
 * repository's own scheme, host and port (`credential.<scheme>://<host>.helper`), so a submodule
 * or a redirect to any other host never gets them; the helper checks the host again itself.
 *
 * git runs every credential helper through `sh -c "<helper> get"`: here that string is the
 * constant path plus "get"; the user's values are only ever expanded as quoted parameters
 * (`"$R2D_GIT_PASSWORD"`), never parsed as shell text.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildFailure } from './backend.js';

export interface GitCredentials {
  username: string;
  password: string;
}

/** The variables the helper reads; they never reach repo2docker (it gets no GIT_/R2D_GIT_ variable). */
export const USERNAME_VAR = 'R2D_GIT_USERNAME';
export const PASSWORD_VAR = 'R2D_GIT_PASSWORD';
/** `host[:port]` the helper answers for; git writes the host it asks about on the helper's stdin. */
export const HOST_VAR = 'R2D_GIT_CREDENTIAL_HOST';
export const PROTOCOL_VAR = 'R2D_GIT_CREDENTIAL_PROTOCOL';

export const MAX_USERNAME = 256;
export const MAX_PASSWORD = 4096;

/**
 * The helper: answers `get` (only for its own protocol and host), ignores `store` and `erase`
 * (nothing is kept anywhere). `read -r` and `case` on quoted variables: git's request is data,
 * never code. printf '%s' writes the values as they are.
 */
export const HELPER_SCRIPT = `#!/bin/sh
# git credential helper of the repo2docker service: one build's credentials, from this process's
# environment only (see service/src/backends/git-credentials.ts). Stores nothing.
[ "$1" = get ] || exit 0
protocol=
host=
while IFS= read -r line && [ -n "$line" ]; do
  case "$line" in
    protocol=*) protocol="\${line#protocol=}" ;;
    host=*) host="\${line#host=}" ;;
  esac
done
[ "$protocol" = "$${PROTOCOL_VAR}" ] && [ "$host" = "$${HOST_VAR}" ] || exit 0
printf 'username=%s\\npassword=%s\\n' "$${USERNAME_VAR}" "$${PASSWORD_VAR}"
`;

export const HELPER_NAME = 'git-credential-r2d';

/** Hosts whose plain-http traffic never leaves the machine. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/** The credential scope of `repo`: `scheme://host[:port]`, as git's credential matching spells it. */
export function credentialScope(repo: string): {
  protocol: string;
  host: string;
  scope: string;
} {
  const url = new URL(repo);
  const protocol = url.protocol.replace(/:$/, '');
  return { protocol, host: url.host, scope: `${protocol}://${url.host}` };
}

export interface CredentialsProblem {
  field: string;
  message: string;
}

const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Why `value` cannot be credentials for `repo`, naming the field, or null when it can. For the
 * request validation (a 400 naming the field) and checked again before the clone.
 * - https only (http only to a loopback host): a token must not cross a network in clear text;
 * - no user or password inside the URL: they would end up in argv, labels and .git/config;
 * - no control characters: git's credential protocol is line-based (a newline would add lines).
 */
export function credentialsProblem(
  repo: string,
  value: unknown,
  field = 'credentials'
): CredentialsProblem | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      field,
      message: `${field} must be an object with a username and a password (token)`
    };
  }
  const extra = Object.keys(value).filter(
    key => key !== 'username' && key !== 'password'
  );
  if (extra.length > 0) {
    return {
      field: `${field}.${extra[0]}`,
      message: `${field} takes only username and password`
    };
  }
  const { username, password } = value as Record<string, unknown>;
  for (const [name, text, max] of [
    ['username', username, MAX_USERNAME],
    ['password', password, MAX_PASSWORD]
  ] as const) {
    if (typeof text !== 'string' || text === '') {
      return {
        field: `${field}.${name}`,
        message: `${field}.${name} must be a non-empty string`
      };
    }
    if (text.length > max) {
      return {
        field: `${field}.${name}`,
        message: `${field}.${name} must be at most ${max} characters`
      };
    }
    if (CONTROL.test(text)) {
      return {
        field: `${field}.${name}`,
        message: `${field}.${name} must not contain control characters (a newline, a tab, ...)`
      };
    }
  }
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return {
      field: 'repo',
      message: 'credentials need an https:// repository URL'
    };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      field: 'repo',
      message:
        'give the username and token in credentials, not inside the repository URL'
    };
  }
  if (!(
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && isLoopback(url.hostname))
  )) {
    return {
      field: 'repo',
      message:
        'credentials are sent only over https:// (a token must not cross the network in clear text)'
    };
  }
  return null;
}

/** What a checkout adds to its git runs: `-c` options (no secret) and environment (the secret). */
export interface CredentialSetup {
  /** Put right after gitConfigArgs' `credential.helper=` (which clears every other helper). */
  configArgs: string[];
  env: Record<string, string>;
}

/** A path git may run as a helper without quoting: it goes into `sh -c "<path> get"`. */
const PLAIN_PATH = /^\/[A-Za-z0-9/._-]+$/;

/**
 * Write the helper into `dir` (a directory of this build's own, mode 0700, outside the
 * checkout so it is no part of the build context) and return what git needs to use it.
 */
export async function prepareCredentials(
  dir: string,
  repo: string,
  credentials: GitCredentials
): Promise<CredentialSetup> {
  const problem = credentialsProblem(repo, credentials);
  if (problem) {
    throw new BuildFailure(problem.message);
  }
  const helper = join(dir, HELPER_NAME);
  if (!PLAIN_PATH.test(helper)) {
    // git would hand this path to sh -c as it is: refuse rather than quote.
    throw new BuildFailure(
      `the temporary directory ${dir} has characters git cannot run a credential helper from`
    );
  }
  await writeFile(helper, HELPER_SCRIPT, { mode: 0o700, flag: 'wx' });
  const { protocol, host, scope } = credentialScope(repo);
  return {
    configArgs: ['-c', `credential.${scope}.helper=${helper}`],
    env: {
      [USERNAME_VAR]: credentials.username,
      [PASSWORD_VAR]: credentials.password,
      [PROTOCOL_VAR]: protocol,
      [HOST_VAR]: host
    }
  };
}

/**
 * The plain message for git's authentication failures, or null for any other line:
 * `fatal: Authentication failed for 'URL'` (the server refused what we sent) and
 * `fatal: could not read Username for 'URL': terminal prompts disabled` (it asked, and we had
 * nothing to give: no credentials, or a host they are not for).
 */
export function authFailureMessage(line: string, repo: string): string | null {
  const host = (quoted: string | undefined): string => {
    try {
      return new URL(quoted ?? repo).host;
    } catch {
      return new URL(repo).host;
    }
  };
  const failed = /Authentication failed for '([^']*)'/i.exec(line);
  if (failed) {
    return `authentication failed for ${host(failed[1])}`;
  }
  const asked = /could not read (?:Username|Password) for '([^']*)'/i.exec(
    line
  );
  if (asked) {
    return `authentication required for ${host(asked[1])}: the repository is private (or does not exist); give a username and token`;
  }
  return null;
}

/**
 * Replace the credential's secret in `text` (as given, URL-encoded, and in Basic-auth base64)
 * with `***`. git's own output should never hold it; this is what makes sure.
 */
export function scrubber(
  credentials: GitCredentials | undefined
): (text: string) => string {
  if (!credentials) {
    return text => text;
  }
  const { username, password } = credentials;
  const forms = [
    password,
    encodeURIComponent(password),
    Buffer.from(`${username}:${password}`).toString('base64'),
    `${encodeURIComponent(username)}:${encodeURIComponent(password)}`
  ].filter((form, index, all) => form !== '' && all.indexOf(form) === index);
  // Longest first: a form must not be half-replaced by a shorter one inside it.
  forms.sort((a, b) => b.length - a.length);
  return text => forms.reduce((out, form) => out.split(form).join('***'), text);
}
