/**
 * Wires the service together: configuration → authenticator, Docker engine, backend, build
 * manager → Fastify routes under the service prefix. `main.ts` only parses argv and listens.
 */
import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import { missingScope } from './api/errors.js';
import { serviceVersion } from './assets.js';
import { createAuthenticator } from './auth/factory.js';
import type { Authenticator } from './auth/identity.js';
import { scopeNames } from './auth/identity.js';
import { SECRET_HEADER } from './auth/local.js';
import { oauthSettingsFromEnv, type OAuthSettings } from './auth/oauth.js';
import type { BuildBackend } from './backends/backend.js';
import { RegistryPusher } from './backends/engine-push.js';
import { createBackend } from './backends/factory.js';
import { BuildManager } from './builds/manager.js';
import { checkTemplate } from './images/naming.js';
import { GitRefResolver } from './builds/ref-resolver.js';
import { hostPolicyFromConfig } from './builds/host-policy.js';
import { registryHost, type ServiceConfig } from './config.js';
import { DockerEngine } from './docker/engine.js';
import type { ServiceContext } from './http/context.js';
import { installErrorHandlers } from './http/errors.js';
import { acceptEmptyJsonBodies } from './http/json-body.js';
import { corsOriginCheck } from './http/cors.js';
import { buildRoutes } from './http/routes/builds.js';
import { uploadRoutes } from './http/routes/upload.js';
import { pageRoutes } from './http/routes/page.js';
import { launchRoutes } from './http/routes/launch.js';
import { credentialsOf, sessionSettings } from './http/session.js';
import { imageRoutes } from './http/routes/images.js';
import { infoRoutes, systemRoutes } from './http/routes/system.js';
import { ServiceMetrics } from './metrics.js';
import {
  loadRegistryCredentials,
  REGISTRY_PASSWORD_ENV,
  REGISTRY_USERNAME_ENV,
  type RegistryCredentials
} from './registry/credentials.js';
import { MergedImageStore } from './images/merged-store.js';
import { watchImageEvents } from './docker/events.js';
import { reapOrphans } from './docker/reaper.js';
import { ImageCatalog } from './images/catalog.js';
import { RegistryStore } from './registry/registry.js';

/** Environment variables holding secrets; kept from every child process. */
export const SECRET_ENV = [
  'REPO2DOCKER_SERVICE_SECRET',
  'REPO2DOCKER_SERVICE_COOKIE_SECRET',
  'JUPYTERHUB_API_TOKEN',
  'JPY_API_TOKEN',
  REGISTRY_USERNAME_ENV,
  REGISTRY_PASSWORD_ENV,
  'REPO2DOCKER_BINDERHUB_TOKEN' // backend.token (config.ts)
];

export const VERSION: string = serviceVersion();

export interface Service {
  app: FastifyInstance;
  context: ServiceContext;
}

/** Parts a test puts in place of the real ones; by default each is made from the configuration. */
export interface ServiceParts {
  /** By default the one `auth.mode` names (auth/factory.ts). */
  authenticator?: Authenticator;
  /** OAuth client settings for the service page; by default from JupyterHub's environment. */
  oauth?: OAuthSettings | null;
  /** By default the one `backend.kind` names (backends/factory.ts). */
  backend?: BuildBackend;
  engine?: DockerEngine;
  /** Where JupyterHub's variables are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Registry credentials; by default from the environment or `registry.credentialsFile`. */
  registryCredentials?: RegistryCredentials | null;
  /** The registry client's fetch (tests). */
  registryFetch?: typeof fetch;
}

export function createService(
  config: ServiceConfig,
  parts: ServiceParts = {}
): Service {
  const env = parts.env ?? process.env;
  const host = config.registry.url ? registryHost(config.registry.url) : null;
  const repositoryPrefix = host ? `${host}/${config.registry.prefix}` : '';
  checkTemplate(repositoryPrefix + config.images.template);
  const app = Fastify({
    bodyLimit: 64 * 1024,
    // Above the proxy's 16 KiB (configurable-http-proxy is Node with its default): a request the
    // hub's proxy lets through, X-Forwarded-* headers added, must not overflow here, or the proxy
    // relays a reset connection instead of an answer. Launch links carry a build request in the URL.
    http: { maxHeaderSize: 64 * 1024 },
    routerOptions: { ignoreTrailingSlash: true },
    logger: {
      level: config.logLevel,
      // Tokens travel in headers only; make sure none is ever printed, whatever the serializer.
      redact: [
        'req.headers.authorization',
        `req.headers["${SECRET_HEADER}"]`,
        'req.headers.cookie'
      ]
    }
  });
  const engine =
    parts.engine ??
    new DockerEngine(undefined, {
      template: config.images.template,
      repositoryPrefix
    });
  const hostPolicy = hostPolicyFromConfig(config.builds, config.auth.mode);
  // Read once, here; kept out of the config object, the logs, the API and child processes.
  let registry: RegistryStore | null = null;
  let pusher: RegistryPusher | null = null;
  if (config.registry.url && host) {
    const credentials =
      parts.registryCredentials !== undefined
        ? parts.registryCredentials
        : loadRegistryCredentials(host, config.registry.credentialsFile, env);
    const store = new RegistryStore({
      url: config.registry.url,
      prefix: config.registry.prefix,
      template: config.images.template,
      credentials,
      fetch: parts.registryFetch
    });
    registry = store;
    pusher = new RegistryPusher(
      engine,
      config.registry.url,
      host,
      config.registry.pushByDefault,
      credentials,
      () => store.probe()
    );
  }
  const images = new MergedImageStore(engine, registry, app.log);
  // The engine's image events keep the cached image list honest (see images/catalog.ts).
  // Each time it (re)connects the engine is up: reap what dead service processes left there.
  const reap = (): void => {
    reapOrphans(engine.docker, app.log).catch(error =>
      app.log.warn(
        { err: (error as Error).message },
        'could not reap orphaned build artifacts'
      )
    );
  };
  const events = parts.engine
    ? null
    : watchImageEvents(
        engine.docker,
        () => catalog.invalidate(),
        app.log,
        2000,
        reap
      );
  const catalog = new ImageCatalog(
    images,
    {
      trustedMs: registry ? 15_000 : 60_000,
      untrustedMs: 2_000,
      maxRendered: 1000
    },
    () => events?.connected ?? false
  );
  const backend =
    parts.backend ??
    createBackend(config.backend.kind, {
      config,
      engine,
      pusher,
      registry,
      secretEnv: SECRET_ENV,
      checkHost: repo => hostPolicy.check(repo),
      refusesPrivateAddresses: hostPolicy.refusesPrivateAddresses,
      log: app.log
    });
  const authenticator: Authenticator =
    parts.authenticator ??
    createAuthenticator(config, env, message =>
      process.stderr.write(`repo2docker-service: ${message}\n`)
    );
  const manager = new BuildManager(
    {
      imageTemplate: config.images.template,
      repositoryPrefix,
      maxConcurrent: config.builds.maxConcurrent,
      maxConcurrentPerUser: config.builds.maxConcurrentPerUser,
      maxQueuedPerUser: config.builds.maxQueuedPerUser,
      timeoutSeconds: config.builds.timeoutSeconds,
      logs: config.logs
    },
    backend,
    images,
    new GitRefResolver(config.git.command, config.git.lsRemoteTimeoutSeconds, {
      hostPolicy,
      allowLocalRepos: config.builds.allowLocalRepos
    }),
    app.log
  );
  const metrics = new ServiceMetrics(
    () => manager.queueLength,
    () => manager.runningCount,
    () => authenticator.cacheStats?.() ?? null
  );
  metrics.subscribe(manager.events);
  // A build that ran may have added, replaced or pushed an image.
  manager.events.onEnded(({ ran }) => {
    if (ran) {
      catalog.invalidate();
    }
  });
  const context: ServiceContext = {
    config,
    version: VERSION,
    authenticator,
    manager,
    engine,
    images,
    catalog,
    metrics,
    backendKind: backend.kind
  };

  installErrorHandlers(app);
  // Every 429 says when to come back: the limiters' own estimate (auth/failure-limiter.ts,
  // http/stream-limits.ts), else 10 s (a user's build queue is full). onError runs before the
  // error handler, and headers set here are kept in its answer.
  app.addHook('onError', async (_request, reply, error) => {
    const seconds = (error as { retryAfterSeconds?: unknown })
      .retryAfterSeconds;
    const status = (error as { status?: unknown }).status;
    if (!reply.sent && (typeof seconds === 'number' || status === 429)) {
      reply.header(
        'Retry-After',
        String(typeof seconds === 'number' ? seconds : 10)
      );
    }
  });
  acceptEmptyJsonBodies(app);
  const accessScope = scopeNames(config.serviceName).access;
  const prefix = config.prefix.replace(/\/$/, '');
  const session = sessionSettings(
    config.serviceName,
    config.prefix,
    config.auth.cookieSecret ?? randomBytes(32).toString('hex'),
    config.auth.trustedProxies
  );
  const oauth =
    parts.oauth !== undefined
      ? parts.oauth
      : oauthSettingsFromEnv(env, config.serviceName, config.prefix);
  app.register(fastifyCookie, { secret: session.cookieSecret });
  // Only the listed origins (the hub's user hosts under subdomain_host); no credentials: the
  // extension sends its token in a header, and cookies stay same-origin.
  app.register(fastifyCors, {
    origin: corsOriginCheck(config.corsOrigins),
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'Accept',
      'Last-Event-ID'
    ],
    maxAge: 600
  });
  app.register(
    async scoped => {
      scoped.decorateRequest('identity', null as never);
      scoped.addHook('onRequest', async request => {
        if ((request.routeOptions.config as { public?: boolean }).public) {
          return;
        }
        request.identity = await authenticator.authenticate(
          credentialsOf(request, session)
        );
        if (!request.identity.permissions.access) {
          throw missingScope(
            accessScope,
            `your token lacks the scope ${accessScope}, which every request needs`
          );
        }
      });
      pageRoutes(scoped, context, session, oauth);
      launchRoutes(scoped, context, session, oauth);
      systemRoutes(scoped, context);
      infoRoutes(scoped, context);
      buildRoutes(scoped, context);
      uploadRoutes(scoped, context);
      imageRoutes(scoped, context);
    },
    { prefix }
  );
  app.addHook('onClose', async () => {
    events?.stop();
    await manager.shutdown();
  });
  return { app, context };
}
