/**
 * The `docker run` command that starts JupyterLab in an image on one's own machine (laptop mode,
 * where there is no hub to start a server).
 *
 * repo2docker images expose 8888, run as a non-root user, and start through
 * `/usr/local/bin/repo2docker-entrypoint`, which runs the repository's `start` script and then
 * the command; their default command is `jupyter notebook --ip 0.0.0.0`. Giving the command
 * `jupyter lab --ip=0.0.0.0 --port=8888` keeps the entrypoint and opens JupyterLab instead.
 * `--ip=0.0.0.0` lets the server answer through Docker's port mapping; the host side of the
 * mapping is 127.0.0.1, so only this machine reaches it. JupyterLab prints its URL with a token.
 */

/** The port repo2docker images expose and JupyterLab listens on. */
export const JUPYTER_PORT = 8888;

/** The arguments of `docker run` for `image` (argv: nothing here goes through a shell). */
export function dockerRunArgv(
  image: string,
  hostPort = JUPYTER_PORT
): string[] {
  return [
    'docker',
    'run',
    '--rm',
    '-it',
    '-p',
    `127.0.0.1:${hostPort}:${JUPYTER_PORT}`,
    image,
    'jupyter',
    'lab',
    '--ip=0.0.0.0',
    `--port=${JUPYTER_PORT}`
  ];
}

/** Characters that never need quoting in a POSIX shell word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument as a POSIX shell reads it back unchanged (single quotes when needed). */
export function shellQuote(arg: string): string {
  if (SAFE_WORD.test(arg)) {
    return arg;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line to copy: each argument quoted as needed, joined by spaces. */
export function dockerRunCommand(
  image: string,
  hostPort = JUPYTER_PORT
): string {
  return dockerRunArgv(image, hostPort).map(shellQuote).join(' ');
}
