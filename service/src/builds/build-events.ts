/**
 * What the manager tells whoever listens (metrics, the image catalog) when a build ends, instead
 * of calling each of them: a consumer subscribes, the manager does not know it exists.
 */
import type { BuildRecord } from './build-record.js';

export interface BuildEnded {
  build: BuildRecord;
  /** `already_built`: answered from an existing image, nothing ran. */
  outcome: 'built' | 'failed' | 'cancelled' | 'already_built';
  /** The build ran on the backend (it may have added, replaced or pushed an image). */
  ran: boolean;
  /** From its start to its end, when it ran. */
  seconds: number | null;
}

export type BuildEndedListener = (event: BuildEnded) => void;

export class BuildEvents {
  private readonly ended = new Set<BuildEndedListener>();

  /** Subscribe; returns the unsubscribe. */
  onEnded(listener: BuildEndedListener): () => void {
    this.ended.add(listener);
    return () => this.ended.delete(listener);
  }

  emitEnded(event: BuildEnded): void {
    for (const listener of this.ended) {
      listener(event); // a listener's throw is a bug in it: let it surface
    }
  }
}
