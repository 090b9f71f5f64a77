/**
 * `PUT /api/images/{name}/sharing`: who besides its owner may see and start an image. The choice
 * is labels on the image (images/labels.ts), so changing it re-labels the image in the engine
 * and in the registry, wherever it is, without rebuilding a layer. Decisions: auth/policy.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { Image, Sharing } from '../../api/contract.js';
import { ApiError, invalidField, notFound } from '../../api/errors.js';
import { scopeNames } from '../../auth/identity.js';
import {
  canSee,
  groupsNotAllowed,
  requireModify,
  requirePermission
} from '../../auth/policy.js';
import { relabel } from '../../backends/engine-relabel.js';
import { sharingLabels } from '../../images/labels.js';
import { validateSharingRequest } from '../../images/sharing.js';
import type { ServiceContext } from '../context.js';
import { imageNameParam } from './images.js';

/** A config-only build takes a fraction of a second; a minute means the engine is stuck. */
const RELABEL_TIMEOUT_MS = 60_000;

/** How long each copy took to re-label, in milliseconds (`null`: not there). */
export interface RelabelTimes {
  engineMs: number | null;
  registryMs: number | null;
}

/** The parts re-labelling needs; the routes pass the service's, unit tests fakes. */
export interface Relabelers {
  engine(name: string, labels: Record<string, string>): Promise<void>;
  registry:
    ((name: string, labels: Record<string, string>) => Promise<boolean>) | null;
}

export function relabelersOf(ctx: ServiceContext): Relabelers {
  const registry = ctx.images.registry;
  return {
    async engine(name, labels) {
      const image = ctx.engine.docker.getImage(name);
      const info = await image.inspect();
      // `FROM <image>` would run the image's ONBUILD triggers: a new layer, and the owner's
      // code run by a re-label. repo2docker images have none; refuse the ones that do.
      if ((info.Config?.OnBuild ?? []).length > 0) {
        throw new ApiError(
          409,
          'not_relabelable',
          `${name} has ONBUILD instructions, which re-labelling it would run; rebuild it without them to share it`
        );
      }
      // A push left `repo@sha256:…` references on the image. They go first, while the tag
      // still names it (so only the references go): the registry's manifest changes with the
      // labels, so they would be stale, and they would keep the old image from being removed
      // below (nor pruned later) once the tag has moved.
      for (const reference of info.RepoDigests ?? []) {
        await ctx.engine.docker
          .getImage(reference)
          .remove({ noprune: true })
          .catch(() => undefined);
      }
      await relabel(
        ctx.engine.docker,
        name,
        name,
        labels,
        AbortSignal.timeout(RELABEL_TIMEOUT_MS)
      );
      // The tag moved to the re-labelled image (the same layers); the old one is nameless now.
      // It goes unless a container still uses it, or it is the new one's parent (then it is
      // pruned with it when the image is deleted).
      await ctx.engine.removeIfUntagged(info.Id);
    },
    registry: registry?.relabel
      ? (name, labels) => registry.relabel!(name, labels)
      : null
  };
}

/**
 * Set `sharing` on every copy of `image`: the engine's first (what this hub starts, and what the
 * merged list shows when both have it; it may refuse, see `not_relabelable`), then the
 * registry's. Only the sharing labels change.
 */
export async function applySharing(
  relabelers: Relabelers,
  image: Image,
  sharing: Sharing
): Promise<RelabelTimes> {
  const labels = sharingLabels(sharing);
  const times: RelabelTimes = { engineMs: null, registryMs: null };
  if (image.location.engine) {
    const started = performance.now();
    await relabelers.engine(image.name, labels);
    times.engineMs = performance.now() - started;
  }
  if (image.location.registry && relabelers.registry) {
    const started = performance.now();
    try {
      await relabelers.registry(image.name, labels);
    } catch (error) {
      if (times.engineMs !== null && error instanceof ApiError) {
        throw new ApiError(
          error.status,
          error.code,
          `the Docker engine's copy of ${image.name} has the new sharing, but the registry's could not be re-labelled: ${error.message}`
        );
      }
      throw error;
    }
    times.registryMs = performance.now() - started;
  }
  return times;
}

export function sharingRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const scopes = scopeNames(ctx.config.serviceName);
  const relabelers = relabelersOf(ctx);

  app.put<{ Params: { name: string } }>(
    '/api/images/:name/sharing',
    async (request, reply) => {
      const { identity } = request;
      requirePermission(identity, 'build', scopes.build);
      const name = imageNameParam(request.params.name);
      const sharing = validateSharingRequest(request.body);
      // Strict: the registry's copy must be re-labelled too, so it must be reachable.
      const image = await ctx.images.find(name, { strict: true });
      // Another user's private image is "not found": its existence is theirs to know.
      if (!image || !canSee(identity, image)) {
        throw notFound(`image ${name}`);
      }
      requireModify(identity, image, 'image');
      if (image.shared) {
        throw invalidField(
          'visibility',
          'images in the shared namespace are everyone’s; their sharing cannot be changed'
        );
      }
      const refused = groupsNotAllowed(identity, image, sharing.groups);
      if (refused.length > 0) {
        throw invalidField(
          'groups',
          image.owner === identity.name
            ? `you are not in the hub group(s) ${refused.join(', ')}; share with your own groups (${(identity.groups ?? []).join(', ') || 'you are in none'})`
            : `only ${image.owner} can share with groups other than those already chosen (${refused.join(', ')} is not one)`
        );
      }
      const times = await applySharing(relabelers, image, sharing).finally(() =>
        ctx.catalog.invalidate()
      );
      request.log.info(
        {
          image: name,
          visibility: sharing.visibility,
          groups: sharing.groups,
          engineMs: times.engineMs,
          registryMs: times.registryMs
        },
        'sharing changed'
      );
      // How long each copy took, for whoever measures (the integration test prints it).
      reply.header(
        'Server-Timing',
        [
          times.engineMs !== null
            ? `engine;dur=${times.engineMs.toFixed(1)}`
            : '',
          times.registryMs !== null
            ? `registry;dur=${times.registryMs.toFixed(1)}`
            : ''
        ]
          .filter(Boolean)
          .join(', ')
      );
      const updated = await ctx.images.find(name);
      return reply.send(updated ?? { ...image, sharing });
    }
  );
}
