/** Looks at the real engine with the docker CLI, independently of the service's own client. */
import { execFileSync } from 'node:child_process';

const docker = (...args: string[]): string =>
  execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim();

export function imageLabels(reference: string): Record<string, string> | null {
  try {
    return JSON.parse(
      docker(
        'image',
        'inspect',
        '--format',
        '{{json .Config.Labels}}',
        reference
      )
    );
  } catch {
    return null;
  }
}

/** Images (any tag or none) carrying our build-id label with this value. */
export function imagesOfBuild(buildId: string): string[] {
  const out = docker(
    'images',
    '--all',
    '--quiet',
    '--filter',
    `label=org.jupyter.repo2docker-service.build-id=${buildId}`
  );
  return out === '' ? [] : out.split('\n');
}

export function containerIds(): string[] {
  const out = docker('ps', '--all', '--quiet', '--no-trunc');
  return out === '' ? [] : out.split('\n').sort();
}

export function removeImage(reference: string): void {
  try {
    docker('rmi', '--force', reference);
  } catch {
    // already gone
  }
}

/** Processes whose command line mentions `needle` (e.g. an image name), other than ourselves. */
export function processesMatching(needle: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', '--', needle], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The engine's id of an image (by reference or id), or null if there is none. */
export function imageId(reference: string): string | null {
  try {
    return docker('image', 'inspect', '--format', '{{.Id}}', reference);
  } catch {
    return null;
  }
}

/**
 * The containers the hub rig's DockerSpawner made for `user` (it names them
 * r2d-test-jupyter-<user>--<server>): running ones, or with `all` stopped ones too.
 */
export function spawnedContainers(
  user: string,
  { all }: { all: boolean }
): string[] {
  const out = docker(
    'ps',
    ...(all ? ['--all'] : []),
    '--format',
    '{{.Names}}',
    '--filter',
    `name=^r2d-test-jupyter-${user}--`
  );
  return out === '' ? [] : out.split('\n');
}

/** The image a container was made from, as its config names it. */
export function containerImage(container: string): string {
  return docker('inspect', '--format', '{{.Config.Image}}', container);
}
