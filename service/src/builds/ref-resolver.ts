/**
 * Resolve a ref (branch, tag, HEAD or full commit) to a commit before building, with
 * `git ls-remote` run as argv (`--` before the URL) in the service's controlled git environment
 * (backends/git-env.ts). This is the first time the service contacts the repository's host, so
 * the host policy is asked first.
 */
import { execFile } from 'node:child_process';
import type { GitCredentials } from '../api/contract.js';
import { invalidField } from '../api/errors.js';
import {
  authFailureMessage,
  prepareCredentials,
  scrubber,
  type CredentialSetup
} from '../backends/git-credentials.js';
import {
  gitConfigArgs,
  gitEnv,
  makeHome,
  removeDir
} from '../backends/git-env.js';
import { HostPolicy } from './host-policy.js';

const FULL_SHA = /^[0-9a-f]{40}$/;

export interface RefResolver {
  /** `credentials`: a private repository's, given to git as checkout.ts does (a helper, the environment). */
  resolve(
    repo: string,
    ref: string,
    credentials?: GitCredentials | null
  ): Promise<string>;
}

/** Pick the commit for `ref` from `git ls-remote` output (`<sha>\t<refname>` lines). */
export function pickCommit(lsRemoteOutput: string, ref: string): string | null {
  const refs = new Map<string, string>();
  for (const line of lsRemoteOutput.split('\n')) {
    const [sha, name] = line.trim().split('\t');
    if (sha && name) {
      refs.set(name, sha);
    }
  }
  // Peeled annotated tags (`^{}`) name the commit; the tag object itself would not build.
  const candidates =
    ref === 'HEAD'
      ? ['HEAD']
      : ref.startsWith('refs/')
        ? [`${ref}^{}`, ref]
        : [`refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`];
  for (const candidate of candidates) {
    const sha = refs.get(candidate);
    if (sha) {
      return sha;
    }
  }
  return null;
}

export interface RefResolverOptions {
  /** Asked before git contacts the host; default: refuses nothing. */
  hostPolicy?: HostPolicy;
  /** Local repositories are allowed (the `file` transport for the top-level URL). */
  allowLocalRepos?: boolean;
}

export class GitRefResolver implements RefResolver {
  private readonly hostPolicy: HostPolicy;

  constructor(
    private readonly git: string,
    private readonly timeoutSeconds: number,
    private readonly options: RefResolverOptions = {}
  ) {
    this.hostPolicy =
      options.hostPolicy ??
      new HostPolicy({ refusePrivateAddresses: false, allowedHosts: [] });
  }

  async resolve(
    repo: string,
    ref: string,
    credentials?: GitCredentials | null
  ): Promise<string> {
    // Also for a full commit, which needs no lookup: a refused host must fail here, with a 400,
    // and not later in the build.
    await this.hostPolicy.check(repo);
    if (FULL_SHA.test(ref)) {
      return ref;
    }
    const home = await makeHome();
    let output: string;
    try {
      // The helper goes into this lookup's own 0700 HOME, removed with it.
      const auth = credentials
        ? await prepareCredentials(home, repo, credentials)
        : null;
      output = await this.lsRemote(
        repo,
        home,
        auth,
        scrubber(credentials ?? undefined)
      );
    } finally {
      await removeDir(home);
    }
    const commit = pickCommit(output, ref);
    if (commit) {
      return commit;
    }
    const hint = /^[0-9a-f]{4,39}$/.test(ref)
      ? ' (abbreviated commits cannot be looked up; give all 40 characters)'
      : '';
    throw invalidField('ref', `ref "${ref}" was not found in ${repo}${hint}`);
  }

  private lsRemote(
    repo: string,
    home: string,
    auth: CredentialSetup | null,
    scrub: (text: string) => string
  ): Promise<string> {
    // gitConfigArgs clears every helper first; ours (for this repository's host only) follows.
    const config = [
      ...gitConfigArgs({
        followRedirects: !this.hostPolicy.refusesPrivateAddresses
      }),
      ...(auth?.configArgs ?? [])
    ];
    const credentialsGiven = auth !== null;
    return new Promise((resolve, reject) => {
      execFile(
        this.git,
        [...config, 'ls-remote', '--', repo],
        {
          timeout: this.timeoutSeconds * 1000,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024 * 1024,
          env: {
            ...gitEnv({
              home,
              allowFile: this.options.allowLocalRepos ?? false
            }),
            ...auth?.env
          }
        },
        (error, stdout, stderr) => {
          if (error) {
            const lines = scrub(String(stderr)).trim().split('\n');
            // Refused credentials are the request's fault: a 400 naming them, before any build.
            const auth = lines
              .map(line => authFailureMessage(line, repo))
              .find(Boolean);
            if (auth && !(error as { killed?: boolean }).killed) {
              reject(
                invalidField(credentialsGiven ? 'credentials' : 'repo', auth)
              );
              return;
            }
            const reason = (error as { killed?: boolean }).killed
              ? `no answer within ${this.timeoutSeconds} s`
              : lines.pop() || 'git could not read it';
            reject(
              invalidField('repo', `cannot read repository ${repo}: ${reason}`)
            );
            return;
          }
          resolve(String(stdout));
        }
      );
    });
  }
}
