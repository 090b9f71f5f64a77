/**
 * What a backend that builds into this service's engine does after a failed or cancelled build:
 * remove every image and container carrying the build's id, so no half-tagged image and no orphan
 * container is left. The build has already failed; a cleanup error is logged, never thrown.
 */
import type { Logger } from '../util/log.js';

export interface ArtifactEngine {
  removeBuildArtifacts(
    buildId: string
  ): Promise<{ images: number; containers: number }>;
}

export async function removeBuildArtifacts(
  engine: ArtifactEngine,
  buildId: string,
  log: Pick<Logger, 'info' | 'error'>
): Promise<void> {
  const removed = await engine
    .removeBuildArtifacts(buildId)
    .catch(cleanupError => {
      log.error({ buildId, err: cleanupError }, 'cleanup after build failed');
      return null;
    });
  if (removed && removed.images + removed.containers > 0) {
    log.info({ buildId, ...removed }, 'removed what the build left');
  }
}
