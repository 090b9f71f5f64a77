/**
 * The images the service knows, wherever they live: the Docker engine it builds with and, when
 * one is configured, the registry it pushes to, merged by name so that an image present in both
 * shows once, with where it lives. The routes and the build manager use this instead of the
 * engine when they list, find or delete images.
 */
import type { Image, ImageLocation } from '../api/contract.js';
import {
  StoreDeleteUnsupported,
  StoreError,
  type ImageStore,
  type RemoteImageStore
} from './store.js';

export interface Warn {
  warn(obj: object, msg?: string): void;
}

/**
 * Merge by name. An image in both places is the same image when the same build made it; when
 * the names match but the builds differ (a rebuild whose push failed or was not asked for), the
 * engine's is the one shown, marked as not in the registry, since that is what a user runs here.
 */
export function mergeImages(engine: Image[], registry: Image[]): Image[] {
  const byName = new Map<string, Image>();
  for (const image of engine) {
    byName.set(image.name, {
      ...image,
      location: { engine: true, registry: false }
    });
  }
  for (const image of registry) {
    const local = byName.get(image.name);
    if (!local) {
      byName.set(image.name, {
        ...image,
        size: null,
        location: { engine: false, registry: true }
      });
    } else if (local.buildId === image.buildId) {
      byName.set(image.name, {
        ...local,
        location: { engine: true, registry: true }
      });
    }
  }
  return [...byName.values()];
}

export interface ImageListing {
  images: Image[];
  /** What could not be read (the registry unreachable, …), in plain words. */
  warnings: string[];
}

export interface RemoveResult {
  /** Where the image was removed from. */
  removed: ImageLocation;
  /** The registry still holds it because it does not allow deletes; the message says so. */
  refused: string | null;
}

export class MergedImageStore implements ImageStore {
  constructor(
    readonly engine: ImageStore,
    readonly registry: RemoteImageStore | null,
    private readonly log: Warn
  ) {}

  async list(): Promise<Image[]> {
    return (await this.listWithWarnings()).images;
  }

  /** Every image; a registry that cannot be read gives a warning and the engine's images alone. */
  async listWithWarnings(): Promise<ImageListing> {
    const [local, remote] = await Promise.all([
      this.engine.list(),
      this.registry
        ? this.registry.list().then(
            images => ({ images, warning: null as string | null }),
            (error: Error) => ({
              images: [] as Image[],
              warning: this.registryWarning(error, 'listing images')
            })
          )
        : { images: [] as Image[], warning: null }
    ]);
    return {
      images: mergeImages(local, remote.images),
      warnings: remote.warning ? [remote.warning] : []
    };
  }

  /**
   * One image by name, from both places at once. With `strict`, a registry that cannot be asked
   * is an error (deleting must not miss a copy); otherwise it is logged and the engine answers.
   */
  async find(
    reference: string,
    options: { strict?: boolean } = {}
  ): Promise<Image | null> {
    const [local, remote] = await Promise.all([
      this.engine.find(reference),
      this.registry
        ? this.registry.find(reference).catch((error: Error) => {
            if (options.strict) {
              throw error;
            }
            this.registryWarning(error, `looking up ${reference}`);
            return null;
          })
        : null
    ]);
    const merged = mergeImages(local ? [local] : [], remote ? [remote] : []);
    return merged[0] ?? null;
  }

  /** `ImageStore.remove`: true when a copy was removed anywhere. */
  async remove(reference: string): Promise<boolean> {
    const { removed } = await this.removeEverywhere(reference);
    return removed.engine || removed.registry;
  }

  /**
   * Remove the tag from the engine, then from the registry. A registry that refuses deletes is
   * reported in `refused` (what was removed stays removed); any other registry failure throws.
   */
  async removeEverywhere(reference: string): Promise<RemoveResult> {
    const engine = await this.engine.remove(reference);
    let registry = false;
    let refused: string | null = null;
    if (this.registry) {
      try {
        registry = await this.registry.remove(reference);
      } catch (error) {
        if (error instanceof StoreDeleteUnsupported) {
          refused = error.message;
        } else if (engine && error instanceof StoreError) {
          throw new StoreError(
            `removed ${reference} from the Docker engine, but not from the registry: ${error.message}`,
            error.status,
            error.code
          );
        } else {
          throw error;
        }
      }
    }
    return { removed: { engine, registry }, refused };
  }

  private registryWarning(error: Error, doing: string): string {
    const message =
      error instanceof StoreError
        ? error.message
        : `the registry could not be read (${error.message})`;
    this.log.warn(
      { registry: this.registry?.host, err: message },
      `registry error while ${doing}`
    );
    return message;
  }
}
