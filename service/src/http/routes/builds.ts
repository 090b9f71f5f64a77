/** Build routes: start, list, show, cancel, stream the log. Thin: decisions live in builds/ and auth/. */
import type { FastifyInstance } from 'fastify';
import type { Build, Sharing } from '../../api/contract.js';
import { ApiError, notFound, missingScope } from '../../api/errors.js';
import { scopeNames } from '../../auth/identity.js';
import { canSee, requireModify, requirePermission } from '../../auth/policy.js';
import type { BuildRecord } from '../../builds/build-record.js';
import { validateBuildRequest } from '../../builds/validate.js';
import type { ServiceContext } from '../context.js';
import { parseLastEventId, streamBuildLog } from '../log-stream.js';
import { StreamLimits } from '../stream-limits.js';

/** How long the build routes wait for the image list to learn what is shared. */
const SHARING_LOOKUP_MS = 2000;

export function buildRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const scopes = scopeNames(ctx.config.serviceName);
  const streams = new StreamLimits({
    perUser: ctx.config.logs.maxStreamsPerUser,
    total: ctx.config.logs.maxStreams
  });
  const show = (build: BuildRecord): Build =>
    build.toApi(ctx.manager.queuePosition(build));
  /**
   * The sharing of each build's image, by build id: a build is seen by whoever may see the image
   * it made (so the people an image is shared with can read how it was built). From the cached
   * image list; when the engine cannot be listed, builds are their owner's only.
   */
  const sharingByBuild = async (): Promise<
    Map<string, { owner: string; sharing: Sharing }>
  > => {
    const byBuild = new Map<string, { owner: string; sharing: Sharing }>();
    let timer: NodeJS.Timeout | undefined;
    // A hung engine must not hang the build routes, which never needed it before sharing.
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('late')), SHARING_LOOKUP_MS);
    });
    try {
      for (const image of (await Promise.race([ctx.catalog.list(), late]))
        .images) {
        if (image.sharing.visibility !== 'owner') {
          byBuild.set(image.buildId, {
            owner: image.owner,
            sharing: image.sharing
          });
        }
      }
    } catch {
      // The engine does not answer (in time): fall back to owner-only, never wider.
    } finally {
      clearTimeout(timer);
    }
    return byBuild;
  };
  const visible = (
    identity: Parameters<typeof canSee>[0],
    build: BuildRecord,
    sharing: Map<string, { owner: string; sharing: Sharing }>
  ): boolean => {
    const image = sharing.get(build.id);
    return canSee(identity, {
      ...build.spec,
      // Only the build's own image speaks for it (same id, same owner).
      sharing: image?.owner === build.spec.owner ? image.sharing : undefined
    });
  };
  const visibleBuild = async (
    id: string,
    request: { identity: Parameters<typeof canSee>[0] }
  ): Promise<BuildRecord> => {
    const build = ctx.manager.history.get(id);
    if (
      !build ||
      (!canSee(request.identity, build.spec) &&
        !visible(request.identity, build, await sharingByBuild()))
    ) {
      throw notFound(`build ${id}`);
    }
    return build;
  };

  app.post('/api/builds', async (request, reply) => {
    requirePermission(request.identity, 'build', scopes.build);
    const valid = validateBuildRequest(request.body, {
      allowLocalRepos: ctx.config.builds.allowLocalRepos
    });
    if (valid.shared && !request.identity.permissions.admin) {
      throw missingScope(
        scopes.admin,
        `building shared images needs the scope ${scopes.admin}`
      );
    }
    const { build, outcome } = await ctx.manager.submit(
      request.identity.name,
      valid
    );
    return reply.status(outcome === 'existing' ? 200 : 202).send(show(build));
  });

  app.get('/api/builds', async request => {
    requirePermission(request.identity, 'read', scopes.read);
    const sharing = await sharingByBuild();
    const builds = ctx.manager.history
      .all()
      .filter(build => visible(request.identity, build, sharing))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map(show);
    return { builds };
  });

  app.get<{ Params: { id: string } }>('/api/builds/:id', async request => {
    requirePermission(request.identity, 'read', scopes.read);
    return show(await visibleBuild(request.params.id, request));
  });

  app.delete<{ Params: { id: string } }>('/api/builds/:id', async request => {
    requirePermission(request.identity, 'build', scopes.build);
    const build = await visibleBuild(request.params.id, request);
    requireModify(request.identity, build.spec, 'build');
    return show(ctx.manager.cancel(build, request.identity.name));
  });

  app.get<{ Params: { id: string } }>(
    '/api/builds/:id/logs',
    async (request, reply) => {
      requirePermission(request.identity, 'read', scopes.read);
      const build = await visibleBuild(request.params.id, request);
      if (!build.logAvailable) {
        throw new ApiError(
          410,
          'log_expired',
          `the log of build ${build.id} is no longer kept in memory`
        );
      }
      // Counted by who reads (not whose build it is): the reader holds the socket.
      const release = streams.acquire(request.identity.name);
      reply.raw.once('close', release); // however the stream ends; releasing twice counts once
      // The hijacked reply is written raw, past Fastify's headers: carry over those set so far
      // (@fastify/cors's Access-Control-Allow-Origin and Vary), so the stream answers CORS exactly
      // as every other route does. writeHead merges them under its own.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) {
          reply.raw.setHeader(name, value);
        }
      }
      reply.hijack();
      try {
        streamBuildLog(
          build,
          reply.raw,
          parseLastEventId(request.headers['last-event-id']),
          {
            heartbeatMs: ctx.config.heartbeatSeconds * 1000,
            onOpen: () => ctx.metrics.activeStreams.inc(),
            onClose: () => {
              release();
              ctx.metrics.activeStreams.dec();
            }
          }
        );
      } catch (error) {
        release();
        throw error;
      }
    }
  );
}
