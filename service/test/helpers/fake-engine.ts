/**
 * The engine side the local backend and the build manager use (find, retag, clean up), on a map of
 * images: the unit tests' fake at the engine boundary. `findMs` delays every lookup, so the
 * manager's interleavings around "already built?" can be forced.
 */
import type { Image } from '../../src/api/contract.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export class FakeEngine {
  images = new Map<string, Image>();
  /** How many lookups were made. */
  finds = 0;
  /** What `ping` answers: set false to take the engine "down". */
  up = true;
  /** null: a lookup answers without waiting a timer turn. */
  constructor(private readonly findMs: number | null = null) {}
  async find(reference: string): Promise<Image | null> {
    this.finds++;
    if (this.findMs !== null) await sleep(this.findMs);
    return this.images.get(reference) ?? null;
  }
  async retag(source: string, target: string): Promise<void> {
    const image = this.images.get(source)!;
    this.images.delete(source);
    this.images.set(target, { ...image, name: target });
  }
  async imageId(): Promise<string | null> {
    return null;
  }
  async removeIfUntagged(): Promise<void> {}
  async removeBuildArtifacts(
    _buildId: string
  ): Promise<{ images: number; containers: number }> {
    return { images: 0, containers: 0 };
  }
  async ping(): Promise<boolean> {
    return this.up;
  }
}
