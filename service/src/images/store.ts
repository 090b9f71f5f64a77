/**
 * Where images live, as the build manager and the routes see it: a store lists, finds and
 * removes the images this service built. The Docker engine (docker/engine.ts) and an OCI registry
 * (registry/registry.ts) implement it; the merged store (merged-store.ts) joins the two.
 */
import type { ErrorCode, Image } from '../api/contract.js';
import { ApiError } from '../api/errors.js';

export interface ImageStore {
  /** Every image this service built that the store holds. */
  list(): Promise<Image[]>;
  /** One image by its full reference, or `null`. */
  find(reference: string): Promise<Image | null>;
  /** Remove a tag; `false` when there was none. */
  remove(reference: string): Promise<boolean>;
}

/** A store reached over the network (the registry): it may be down while the engine is not. */
export interface RemoteImageStore extends ImageStore {
  /** `host[:port]`, for the log. */
  readonly host: string;
  /**
   * Set `labels` on the image, keeping its layers (sharing changes); `false` when the store
   * does not hold it.
   */
  relabel?(reference: string, labels: Record<string, string>): Promise<boolean>;
}

/** A remote store could not be asked (unreachable, refused the credentials, answered nonsense). */
export class StoreError extends ApiError {
  constructor(
    message: string,
    status = 502,
    code: ErrorCode = 'registry_error'
  ) {
    super(status, code, message);
    this.name = 'StoreError';
  }
}

/** The remote store does not allow deleting; what was removed elsewhere stays removed. */
export class StoreDeleteUnsupported extends StoreError {}
