/**
 * Resolve a ref (branch, tag, HEAD or full commit) to a commit before building, with
 * `git ls-remote` run as argv: the URL and ref were validated and never begin with `-`, and
 * git is told never to prompt for credentials.
 */
import { execFile } from 'node:child_process';
import { invalidField } from '../api/errors.js';

const FULL_SHA = /^[0-9a-f]{40}$/;

export interface RefResolver {
  resolve(repo: string, ref: string): Promise<string>;
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

export class GitRefResolver implements RefResolver {
  constructor(
    private readonly git: string,
    private readonly timeoutSeconds: number
  ) {}

  async resolve(repo: string, ref: string): Promise<string> {
    if (FULL_SHA.test(ref)) {
      return ref;
    }
    const output = await this.lsRemote(repo);
    const commit = pickCommit(output, ref);
    if (commit) {
      return commit;
    }
    const hint = /^[0-9a-f]{4,39}$/.test(ref) ? ' (abbreviated commits cannot be looked up; give all 40 characters)' : '';
    throw invalidField('ref', `ref "${ref}" was not found in ${repo}${hint}`);
  }

  private lsRemote(repo: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.git,
        ['ls-remote', repo],
        {
          timeout: this.timeoutSeconds * 1000,
          maxBuffer: 64 * 1024 * 1024,
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: process.env.HOME ?? '/tmp',
            GIT_TERMINAL_PROMPT: '0',
            GIT_ASKPASS: 'true',
            SSH_ASKPASS: 'true',
            GIT_CONFIG_NOSYSTEM: '1'
          }
        },
        (error, stdout, stderr) => {
          if (error) {
            const reason = (error as { killed?: boolean }).killed
              ? `no answer within ${this.timeoutSeconds} s`
              : String(stderr).trim().split('\n').pop() || 'git could not read it';
            reject(invalidField('repo', `cannot read repository ${repo}: ${reason}`));
            return;
          }
          resolve(String(stdout));
        }
      );
    });
  }
}
