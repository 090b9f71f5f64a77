/** What every route handler is given: the service's parts, wired once in app.ts. */
import type { Authenticator, Identity } from '../auth/identity.js';
import type { BuildManager } from '../builds/manager.js';
import type { ServiceConfig } from '../config.js';
import type { DockerEngine } from '../docker/engine.js';
import type { ImageCatalog } from '../images/catalog.js';
import type { ServiceMetrics } from '../metrics.js';
import type { MergedImageStore } from '../images/merged-store.js';

export interface ServiceContext {
  config: ServiceConfig;
  version: string;
  authenticator: Authenticator;
  manager: BuildManager;
  engine: DockerEngine;
  /** The images in the engine and the registry (if any), merged by name. */
  images: MergedImageStore;
  /** The image list, cached and kept fresh; `GET /api/images` answers from it. */
  catalog: ImageCatalog;
  metrics: ServiceMetrics;
  /** `backend.kind`: which registered backend builds (backends/factory.ts). */
  backendKind: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every /api route. */
    identity: Identity;
  }
}
