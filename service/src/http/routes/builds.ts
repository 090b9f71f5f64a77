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

export function buildRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const scopes = scopeNames(ctx.config.serviceName);
  const show = (build: BuildRecord): Build => build.toApi(ctx.manager.queuePosition(build));
  const visibleBuild = (id: string, request: { identity: Parameters<typeof canSee>[0] }): BuildRecord => {
    const build = ctx.manager.registry.get(id);
    if (!build || !canSee(request.identity, build.spec)) {
      throw notFound(`build ${id}`);
    }
    return build;
  };

  app.post('/api/builds', async (request, reply) => {
    requirePermission(request.identity, 'build', scopes.build);
    const valid = validateBuildRequest(request.body, { allowLocalRepos: ctx.config.builds.allowLocalRepos });
    if (valid.shared && !request.identity.permissions.admin) {
      throw missingScope(scopes.admin, `building shared images needs the scope ${scopes.admin}`);
    }
    const { build, outcome } = await ctx.manager.submit(request.identity.name, valid);
    return reply.status(outcome === 'existing' ? 200 : 202).send(show(build));
  });

  app.get('/api/builds', async request => {
    requirePermission(request.identity, 'read', scopes.read);
    const builds = ctx.manager.registry
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

  app.get<{ Params: { id: string } }>('/api/builds/:id/logs', async (request, reply) => {
    requirePermission(request.identity, 'read', scopes.read);
    const build = visibleBuild(request.params.id, request);
    if (!build.logAvailable) {
      throw new ApiError(410, 'log_expired', `the log of build ${build.id} is no longer kept in memory`);
    }
    reply.hijack();
    streamBuildLog(build, reply.raw, parseLastEventId(request.headers['last-event-id']), {
      heartbeatMs: ctx.config.heartbeatSeconds * 1000,
      onOpen: () => ctx.metrics.activeStreams.inc(),
      onClose: () => ctx.metrics.activeStreams.dec()
    });
  });
}
