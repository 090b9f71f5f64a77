/** Unauthenticated endpoints: health, metrics, the OpenAPI document; and the caller's /api/info. */
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import type { Health, Info } from '../../api/contract.js';
import { openapiDocument } from '../../assets.js';
import { missingScopes, scopeNames } from '../../auth/identity.js';
import type { ServiceContext } from '../context.js';

const HEALTH_PING_MS = 2000;

async function pingWithin(ctx: ServiceContext, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>(resolve => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([ctx.engine.ping(), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function systemRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const openapiText = openapiDocument();
  const openapi = parse(openapiText) as object;

  app.get('/health', { config: { public: true } }, async (_request, reply) => {
    // A hung engine (not only a stopped one) makes health degraded, in bounded time.
    const docker = (await pingWithin(ctx, HEALTH_PING_MS))
      ? 'ok'
      : 'unreachable';
    const body: Health = {
      status: docker === 'ok' ? 'ok' : 'degraded',
      docker
    };
    return reply.status(docker === 'ok' ? 200 : 503).send(body);
  });

  app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
    return reply
      .type(ctx.metrics.registry.contentType)
      .send(await ctx.metrics.registry.metrics());
  });

  app.get(
    '/api/openapi.json',
    { config: { public: true } },
    async () => openapi
  );
  app.get(
    '/api/openapi.yaml',
    { config: { public: true } },
    async (_request, reply) => reply.type('application/yaml').send(openapiText)
  );
}

export function infoRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const scopes = scopeNames(ctx.config.serviceName);
  const relevant = new Set<string>(Object.values(scopes));
  app.get('/api/info', async request => {
    const { identity } = request;
    const info: Info = {
      service: ctx.config.serviceName,
      version: ctx.version,
      backend: ctx.backendKind,
      registry: ctx.config.registry.url
        ? {
            url: ctx.config.registry.url,
            pushByDefault: ctx.config.registry.pushByDefault
          }
        : null,
      limits: {
        maxConcurrentBuilds: ctx.config.builds.maxConcurrent,
        maxConcurrentBuildsPerUser: ctx.config.builds.maxConcurrentPerUser,
        maxQueuedBuildsPerUser: ctx.config.builds.maxQueuedPerUser,
        buildTimeoutSeconds: ctx.config.builds.timeoutSeconds,
        allowLocalRepos: ctx.config.builds.allowLocalRepos,
        // Absent when the backend cannot build folders: the extension then uploads nothing.
        ...(ctx.manager.buildsFolders
          ? {
              uploadMaxBytes: ctx.config.builds.uploadMaxBytes,
              uploadMaxFiles: ctx.config.builds.uploadMaxFiles
            }
          : {})
      },
      imageNameTemplate: ctx.config.images.template,
      user: {
        name: identity.name,
        admin: identity.admin,
        groups: identity.groups ?? [],
        permissions: identity.permissions,
        scopes: identity.scopes.filter(scope => relevant.has(scope)),
        missing: missingScopes(identity, ctx.config.serviceName)
      },
      auth: ctx.authenticator.mode
    };
    return info;
  });
}
