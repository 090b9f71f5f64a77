/** Build routes: start, list, show, cancel, stream the log. Thin: decisions live in builds/ and auth/. */
import type { FastifyInstance } from 'fastify';
import type { Build } from '../../api/contract.js';
import { ApiError, notFound, missingScope } from '../../api/errors.js';
import { scopeNames } from '../../auth/identity.js';
import { canSee, requireModify, requirePermission } from '../../auth/policy.js';
import type { BuildRecord } from '../../builds/build-record.js';
import { validateBuildRequest } from '../../builds/validate.js';
import type { ServiceContext } from '../context.js';
import { parseLastEventId, streamBuildLog } from '../log-stream.js';
import { StreamLimits } from '../stream-limits.js';

export function buildRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const scopes = scopeNames(ctx.config.serviceName);
  const streams = new StreamLimits({
    perUser: ctx.config.logs.maxStreamsPerUser,
    total: ctx.config.logs.maxStreams
  });
  const show = (build: BuildRecord): Build =>
    build.toApi(ctx.manager.queuePosition(build));
  const visibleBuild = (
    id: string,
    request: { identity: Parameters<typeof canSee>[0] }
  ): BuildRecord => {
    const build = ctx.manager.history.get(id);
    if (!build || !canSee(request.identity, build.spec)) {
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
    const builds = ctx.manager.history
      .all()
      .filter(build => canSee(request.identity, build.spec))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map(show);
    return { builds };
  });

  app.get<{ Params: { id: string } }>('/api/builds/:id', async request => {
    requirePermission(request.identity, 'read', scopes.read);
    return show(visibleBuild(request.params.id, request));
  });

  app.delete<{ Params: { id: string } }>('/api/builds/:id', async request => {
    requirePermission(request.identity, 'build', scopes.build);
    const build = visibleBuild(request.params.id, request);
    requireModify(request.identity, build.spec, 'build');
    return show(ctx.manager.cancel(build, request.identity.name));
  });

  app.get<{ Params: { id: string } }>(
    '/api/builds/:id/logs',
    async (request, reply) => {
      requirePermission(request.identity, 'read', scopes.read);
      const build = visibleBuild(request.params.id, request);
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
