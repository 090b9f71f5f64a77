/**
 * The one environment every git the service runs gets (ls-remote, clone, submodules). Users
 * choose the URLs git talks to, so nothing of the service user's own git setup may apply to them:
 * no system or global config (an `insteadOf`, a `credential.helper` with the service user's
 * tokens, an `sshCommand`), no inherited `GIT_*` variable (`GIT_SSH_COMMAND`, `GIT_CONFIG_*`,
 * `GIT_PROXY_COMMAND`, ...), no prompt that would hang a build, and only the transports we mean.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Transports allowed for a repository's own URL and for every submodule. */
export const NETWORK_PROTOCOLS = ['https', 'http', 'git'] as const;

export interface GitEnvOptions {
  /** A directory of this run's own; git reads `$HOME/.gitconfig` and friends from it (empty). */
  home: string;
  /**
   * Allow the `file` transport too: only for the top-level clone of a local repository, and
   * only when the admin allows local repositories. Never for submodules (a submodule at
   * `file:///etc/...` or `/home/hub/...` would copy the service host's files into the image).
   */
  allowFile?: boolean;
}

/** The whole environment of a git child process: nothing is inherited but PATH. */
export function gitEnv(options: GitEnvOptions): NodeJS.ProcessEnv {
  const protocols: string[] = [...NETWORK_PROTOCOLS];
  if (options.allowFile) {
    protocols.push('file');
  }
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: options.home,
    // No $XDG_CONFIG_HOME/git/config either: it lives under the empty HOME.
    XDG_CONFIG_HOME: join(options.home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // Asked for a password, git runs these and gets nothing: the fetch fails instead of waiting.
    GIT_ASKPASS: 'false',
    SSH_ASKPASS: 'false',
    // Takes precedence over any protocol.* config: exactly these transports, nothing else.
    GIT_ALLOW_PROTOCOL: protocols.join(':'),
    // English messages: the service reads the last line of git's errors for users.
    LC_ALL: 'C'
  };
}

export interface GitConfigOptions {
  /**
   * Follow HTTP redirects on the first request (git's default). Off when private addresses are
   * refused: a public host could otherwise redirect git to 169.254.169.254 after the host check.
   */
  followRedirects: boolean;
}

/** `-c` options put before every git subcommand; they win over any repository-local config. */
export function gitConfigArgs(options: GitConfigOptions): string[] {
  const config = [
    'credential.helper=', // an empty value clears the list of helpers
    'protocol.ext.allow=never', // ext:: runs a command; GIT_ALLOW_PROTOCOL refuses it too
    'protocol.fd.allow=never',
    'core.askPass=false',
    'core.sshCommand=false',
    'core.hooksPath=/dev/null', // no hook runs in a checkout of ours
    'core.fsmonitor=false',
    'init.templateDir=', // no hooks copied from the system's template directory
    'submodule.recurse=false', // submodules are fetched once, on purpose, with their own policy
    'advice.detachedHead=false',
    // A server that stalls (under 1 KB/s for a minute) ends the fetch instead of the build's timeout.
    'http.lowSpeedLimit=1000',
    'http.lowSpeedTime=60',
    `http.followRedirects=${options.followRedirects ? 'initial' : 'false'}`
  ];
  return config.flatMap(entry => ['-c', entry]);
}

/** A fresh, empty HOME for one git run (or one build); remove it with `removeDir`. */
export function makeHome(prefix = 'r2d-git-home-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
