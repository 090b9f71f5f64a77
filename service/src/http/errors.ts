/**
 * Every error leaves as `{"error": {code, message, field?, scope?}}` with the right status; never
 * a stack trace, never a secret. Fastify's own errors (body too large, malformed JSON, wrong
 * content type) are translated here too, and so is an undeclared method on a known path: 405
 * with `Allow` (RFC 9110), where Fastify alone would answer 404.
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest
} from 'fastify';
import { ApiError } from '../api/errors.js';

export function toApiError(error: FastifyError | Error): ApiError | null {
  if (error instanceof ApiError) {
    return error;
  }
  const { code, statusCode } = error as FastifyError;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ApiError(
      413,
      'too_large',
      'the request body is larger than 64 KiB',
      { field: 'body' }
    );
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ApiError(
      415,
      'unsupported_media_type',
      'send the request body as application/json',
      { field: 'body' }
    );
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // Malformed JSON, empty JSON body, prototype poisoning, bad URL encoding...
    return new ApiError(
      400,
      'invalid_body',
      `the request is malformed: ${error.message}`,
      { field: 'body' }
    );
  }
  return null;
}

/** One route as registered: its method and its full URL pattern (`/api/builds/:id`, `/api/images/*`). */
export interface RouteEntry {
  method: string;
  url: string;
}

interface RouteTable {
  routes: RouteEntry[];
  /** Pattern → regex, built on first use (routes are all registered by then). */
  matchers: { entry: RouteEntry; regex: RegExp }[] | null;
}

const tables = new WeakMap<FastifyInstance, RouteTable>();

/** Every route the service registered (Fastify's implicit HEAD routes and the CORS preflight aside). */
export function registeredRoutes(app: FastifyInstance): RouteEntry[] {
  return [...(tables.get(app)?.routes ?? [])];
}

function patternRegex(url: string): RegExp {
  const escaped = url
    .replace(/\/+$/, '')
    .split(/(:\w+|\*)/)
    .map(part =>
      part === '*'
        ? '.*'
        : part.startsWith(':')
          ? '[^/]+'
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    )
    .join('');
  return new RegExp(`^${escaped}/?$`);
}

/** The methods a path answers to, or none when no route has this path. */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  const table = tables.get(app);
  if (!table) {
    return [];
  }
  table.matchers ??= table.routes.map(entry => ({
    entry,
    regex: patternRegex(entry.url)
  }));
  // The path belongs to its most specific patterns, as in Fastify's router: static beats
  // `:param`, which beats `*`. So `/api/images/x/sharing` is the sharing resource (PUT), not also
  // an image named "x/sharing" of the wildcard delete route.
  const rank = (url: string): number =>
    url.includes('*') ? 0 : url.includes(':') ? 1 : 2;
  const matching = table.matchers.filter(({ regex }) => regex.test(path));
  const best = Math.max(-1, ...matching.map(({ entry }) => rank(entry.url)));
  const methods = new Set<string>();
  for (const { entry } of matching) {
    if (rank(entry.url) === best) {
      methods.add(entry.method);
      if (entry.method === 'GET') {
        methods.add('HEAD'); // Fastify answers HEAD for every GET route
      }
    }
  }
  return [...methods].sort();
}

/** The 405 answer for a method `path` does not take, naming those it does in Allow. */
export function methodNotAllowed(
  reply: FastifyReply,
  method: string,
  path: string,
  allow: string[]
): FastifyReply {
  return reply
    .status(405)
    .header('Allow', allow.join(', '))
    .send(
      new ApiError(
        405,
        'method_not_allowed',
        `${method} is not allowed on ${path}; use ${allow.join(', ')}`
      ).toBody()
    );
}

export function installErrorHandlers(app: FastifyInstance): void {
  const table: RouteTable = { routes: [], matchers: null };
  tables.set(app, table);
  // Plugin contexts registered later (the prefixed routes) share the root's table.
  app.addHook('onRegister', instance => {
    tables.set(instance, table);
  });
  // onRoute hooks are inherited by every plugin registered later, so this sees all routes.
  app.addHook('onRoute', route => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden =
      (route.schema as { hide?: boolean } | undefined)?.hide === true; // @fastify/cors' OPTIONS *
    for (const method of methods) {
      if (method === 'HEAD' || hidden) {
        continue;
      }
      table.routes.push({ method, url: route.url });
    }
    table.matchers = null;
  });

  const notFound = (
    request: FastifyRequest,
    reply: FastifyReply
  ): FastifyReply => {
    const path = request.url.split('?')[0];
    const allow = allowedMethods(app, path);
    if (allow.length > 0) {
      return methodNotAllowed(reply, request.method, path, allow);
    }
    return reply
      .status(404)
      .send(
        new ApiError(
          404,
          'not_found',
          `no such endpoint: ${request.method} ${path}`
        ).toBody()
      );
  };

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (request.is404) {
      // No route took the request, but Fastify read its body first (e.g. QUERY without a
      // Content-Type): the route's absence is the answer, not the body's shape.
      return notFound(request, reply);
    }
    const apiError = toApiError(error);
    if (apiError) {
      if (apiError.status >= 500) {
        request.log.warn({ code: apiError.code }, apiError.message);
      }
      return reply.status(apiError.status).send(apiError.toBody());
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .send(
        new ApiError(
          500,
          'internal',
          'internal error; see the service log'
        ).toBody()
      );
  });
  app.setNotFoundHandler(notFound);
}
