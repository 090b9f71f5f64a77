/**
 * The image list, cached. Listing reads the whole engine (and the registry); with thousands of
 * images that is tens of milliseconds and most of a megabyte of JSON per request, which is why
 * `GET /api/images` answers from here. The cache is dropped whenever the images may have
 * changed: on the engine's image events, after the service's own pushes and deletes, and after a
 * time limit (short while the event stream is down; it also covers registry changes made by
 * others). Concurrent requests share one listing; each answer's JSON is rendered once per
 * generation for each (caller's visibility, filters), and carries an ETag.
 */
import type { ImageListing } from './merged-store.js';

export interface ImageSource {
  listWithWarnings(): Promise<ImageListing>;
}

export interface CatalogOptions {
  /** How long a listing is trusted while engine events are followed. */
  trustedMs: number;
  /** How long it is trusted while they are not (or for what events cannot tell). */
  untrustedMs: number;
  /** Rendered answers kept per generation. */
  maxRendered: number;
}

export interface RenderedAnswer {
  /**
   * The JSON, encoded once: a cached string would be encoded to UTF-8 again on every send, which
   * for the whole list of 2,000 images (1.1 MB) is most of what an answer costs.
   */
  body: Buffer;
  etag: string;
}

export class ImageCatalog {
  private generation = 0;
  private listing: {
    generation: number;
    at: number;
    promise: Promise<ImageListing>;
  } | null = null;
  private rendered = new Map<string, RenderedAnswer>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly source: ImageSource,
    private readonly options: CatalogOptions,
    private readonly eventsConnected: () => boolean = () => false,
    private readonly now: () => number = Date.now
  ) {}

  /** Something changed (or may have): the next request lists again. */
  invalidate(): void {
    this.generation++;
    this.listing = null;
    this.rendered.clear();
  }

  /** The current listing, shared by concurrent callers. */
  list(): Promise<ImageListing> {
    const ttl = this.eventsConnected()
      ? this.options.trustedMs
      : this.options.untrustedMs;
    if (this.listing && this.now() - this.listing.at > ttl) {
      this.invalidate();
    }
    if (!this.listing) {
      const promise = this.source.listWithWarnings();
      const entry = { generation: this.generation, at: this.now(), promise };
      this.listing = entry;
      // A failed listing is not cached.
      promise.catch(() => {
        if (this.listing === entry) {
          this.listing = null;
        }
      });
    }
    return this.listing.promise;
  }

  /**
   * The JSON answer for `key` (the caller's visibility and filters), rendered from the listing
   * once per generation.
   */
  async answer(
    key: string,
    render: (listing: ImageListing) => unknown
  ): Promise<RenderedAnswer> {
    const listing = this.list();
    const generation = this.listing?.generation ?? this.generation;
    const cached = this.rendered.get(key);
    if (cached && generation === this.generation) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const json = JSON.stringify(render(await listing));
    const answer = {
      body: Buffer.from(json),
      etag: `W/"${generation}-${fnv1a(json)}"`
    };
    // Only keep it if nothing changed while it was being made.
    if (generation === this.generation) {
      if (this.rendered.size >= this.options.maxRendered) {
        this.rendered.delete(this.rendered.keys().next().value as string);
      }
      this.rendered.set(key, answer);
    }
    return answer;
  }
}

/** A short, fast hash for ETags (not for security). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}
