/**
 * The launch link, Binder on your own hub: `GET /launch?repo=…&ref=…[&subdir=…]` logs the person
 * in through the hub (the service page's OAuth) when there is no session, validates the query as
 * `POST /api/builds` validates a body, builds (or gets the already-built answer at once), and
 * answers a page that follows the log, then starts a named server through the hub's REST API with
 * the user's OWN token and goes into its JupyterLab. The service never starts servers with its
 * own credentials: the hub checks the user's scopes and its spawner the image.
 *
 *   POST /launch/servers {"build": id}     start a server in that build's image (XSRF with cookies)
 *   GET  /launch/servers/:name/progress    the hub's spawn progress, passed through (SSE)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ApiError,
  invalidField,
  missingScope,
  notFound
} from '../../api/errors.js';
import type { Identity } from '../../auth/identity.js';
import { scopeNames } from '../../auth/identity.js';
import { bearerToken } from '../../auth/local.js';
import { startLogin, xsrfToken, type OAuthSettings } from '../../auth/oauth.js';
import { canSee, requirePermission } from '../../auth/policy.js';
import { validateBuildRequest } from '../../builds/validate.js';
import type { ServiceContext } from '../context.js';
import { launchErrorHtml, launchPageHtml } from '../page/launch-html.js';
import { LAUNCH_SCRIPT } from '../page/launch-script.js';
import { StreamLimits } from '../stream-limits.js';
import {
  HubServers,
  SERVER_NAME,
  serverNameFor
} from '../page/launch-servers.js';
import {
  clearSession,
  credentialsOf,
  sessionToken,
  setPendingLogin,
  type SessionSettings
} from '../session.js';

/** The query fields a launch link may carry: the build request's, as far as a link should set them. */
const LAUNCH_FIELDS = ['repo', 'ref', 'subdir'] as const;

// As the service page: never framed (a click on "launch" is a write), no caching.
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'same-origin'
};

const wantsHtml = (request: FastifyRequest): boolean =>
  /\btext\/html\b/.test(String(request.headers.accept ?? ''));

/**
 * The longest query a launch link may have, URL-encoded. A visitor without a session comes back
 * to the link after the hub's login, and the link travels in the login's state cookie: browsers
 * drop a cookie past 4 KiB (name and value), and the hub's proxy (Node, 16 KiB) resets the
 * connection on an answer whose headers outgrow it. 2,048 characters, each `%` escaped once more
 * in the cookie, keep that cookie under 4 KiB whatever the characters.
 */
export const MAX_LAUNCH_QUERY = 2048;

/** The link's fields as given (repo, ref, subdir), strings only. */
function launchFields(query: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of LAUNCH_FIELDS) {
    const value = query[key];
    // A repeated parameter arrives as an array: validation refuses it as "must be a string".
    if (value !== undefined && !(key !== 'repo' && value === '')) {
      body[key] = value;
    }
  }
  return body;
}

/** Fields URL-encoded in one spelling (URLSearchParams', in their order). Strings only. */
const encodeFields = (fields: Record<string, unknown>): string =>
  new URLSearchParams(fields as Record<string, string>).toString();

/**
 * The link's query in that one spelling: what the login comes back to, however the visitor's
 * browser encoded the link. Call after launchRequest, which refuses any field not a string.
 */
export function canonicalLaunchQuery(query: Record<string, unknown>): string {
  return encodeFields(launchFields(query));
}

/** The query, checked exactly as a build request's body (400 naming the field). */
export function launchRequest(
  query: Record<string, unknown>,
  allowLocalRepos: boolean
): ReturnType<typeof validateBuildRequest> {
  for (const key of Object.keys(query)) {
    if (!(LAUNCH_FIELDS as readonly string[]).includes(key)) {
      throw invalidField(
        key,
        `unknown field "${key}" in the launch link; allowed: ${LAUNCH_FIELDS.join(', ')}`
      );
    }
  }
  const body = launchFields(query);
  const valid = validateBuildRequest(body, { allowLocalRepos });
  const length = encodeFields(body).length;
  if (length > MAX_LAUNCH_QUERY) {
    // Each field is within its own limit here; name the one that takes the most room.
    const encoded = (key: string) => encodeFields({ [key]: body[key] }).length;
    const longest = Object.keys(body).reduce((a, b) =>
      encoded(b) > encoded(a) ? b : a
    );
    throw invalidField(
      longest,
      `the launch link is too long: repo, ref and subdir come to ${length} characters URL-encoded, and a launch link may have at most ${MAX_LAUNCH_QUERY}; ${longest} takes the most`
    );
  }
  return valid;
}

/** The user's hub token: the one they sent, or the one of the page's session. */
function userToken(request: FastifyRequest, session: SessionSettings): string {
  const sent = bearerToken({ headers: request.headers });
  const token = sent ?? sessionToken(request, session);
  if (!token) {
    throw new ApiError(401, 'unauthenticated', 'log in through the hub first');
  }
  return token;
}

function requireUser(identity: Identity): void {
  if (identity.kind === 'service') {
    throw new ApiError(
      403,
      'forbidden',
      'a hub service has no servers to start; launch links are for users'
    );
  }
}

export function launchRoutes(
  app: FastifyInstance,
  ctx: ServiceContext,
  session: SessionSettings,
  oauth: OAuthSettings | null
): void {
  const scopes = scopeNames(ctx.config.serviceName);
  const hubApi = ctx.config.auth.hubApiUrl;
  const hub = hubApi ? new HubServers(hubApi) : null;
  const requireHub = (): HubServers => {
    if (!hub) {
      throw new ApiError(
        404,
        'not_found',
        'there is no JupyterHub to start servers on: launch links work under a hub'
      );
    }
    return hub;
  };
  // Each progress stream holds a connection to the hub: capped as the log streams are.
  const streams = new StreamLimits({
    perUser: ctx.config.logs.maxStreamsPerUser,
    total: ctx.config.logs.maxStreams
  });
  // The hub's base URL (`/` or `/jupyter/`): the service's prefix is `{base}services/{name}/`.
  const hubBase = session.path.replace(/services\/[^/]+\/?$/, '');

  app.get('/launch.js', { config: { public: true } }, async (_request, reply) =>
    reply
      .headers(PAGE_HEADERS)
      .type('text/javascript; charset=utf-8')
      .send(LAUNCH_SCRIPT)
  );

  app.get<{ Querystring: Record<string, unknown> }>(
    '/launch',
    { config: { public: true } },
    async (request, reply) => {
      try {
        return await launch(request, reply);
      } catch (error) {
        if (error instanceof ApiError && wantsHtml(request)) {
          return reply
            .status(error.status)
            .headers(PAGE_HEADERS)
            .type('text/html; charset=utf-8')
            .send(
              launchErrorHtml(error.status, error.message, error.extra.field)
            );
        }
        throw error;
      }
    }
  );

  async function launch(
    request: FastifyRequest<{ Querystring: Record<string, unknown> }>,
    reply: FastifyReply
  ): Promise<FastifyReply> {
    // A bad link is refused before any login: nothing about it depends on who opens it.
    const valid = launchRequest(
      request.query ?? {},
      ctx.config.builds.allowLocalRepos
    );
    requireHub();
    let identity: Identity;
    try {
      identity = await ctx.authenticator.authenticate(
        credentialsOf(request, session)
      );
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !oauth) {
        throw error;
      }
      // Through the hub's login, then back to this very link (the callback reads `next`).
      const path = request.url.split('?')[0];
      const { url, pending } = startLogin(
        oauth,
        `${path}?${canonicalLaunchQuery(request.query ?? {})}`
      );
      setPendingLogin(reply, request, session, pending);
      clearSession(reply, session);
      return reply.redirect(url);
    }
    if (!identity.permissions.access) {
      throw missingScope(
        scopes.access,
        `your token lacks the scope ${scopes.access}, which every request needs`
      );
    }
    requireUser(identity);
    requirePermission(identity, 'build', scopes.build);
    const { build, outcome } = await ctx.manager.submit(identity.name, valid);
    const token = sessionToken(request, session);
    return reply
      .status(outcome === 'existing' ? 200 : 202)
      .headers(PAGE_HEADERS)
      .type('text/html; charset=utf-8')
      .send(
        launchPageHtml(token ? xsrfToken(session.cookieSecret, token) : '', {
          build: build.id,
          displayName: build.spec.displayName || build.spec.name,
          image: build.spec.image,
          phase: build.phase,
          alreadyBuilt: outcome === 'existing',
          // Followed from another site: start only on the person's press (see launch-html.ts).
          confirm: request.headers['sec-fetch-site'] === 'cross-site'
        })
      );
  }

  app.post<{ Body: unknown }>('/launch/servers', async (request, reply) => {
    const servers = requireHub();
    requireUser(request.identity);
    requirePermission(request.identity, 'read', scopes.read);
    const body = request.body as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalidField('body', 'the request body must be a JSON object');
    }
    for (const key of Object.keys(body)) {
      if (key !== 'build') {
        throw invalidField(key, `unknown field "${key}"; allowed: build`);
      }
    }
    if (typeof body.build !== 'string' || body.build === '') {
      throw invalidField(
        'build',
        'build (the id of a built build) is required'
      );
    }
    const build = ctx.manager.history.get(body.build);
    if (!build || !canSee(request.identity, build.spec)) {
      throw notFound(`build ${body.build}`);
    }
    if (build.phase !== 'built') {
      throw invalidField(
        'build',
        `build ${build.id} is ${build.phase}, not built: there is no image to start yet`
      );
    }
    const token = userToken(request, session);
    const user = request.identity.name;
    const running = await servers.servers(token, user);
    const name = serverNameFor(build.spec.image, new Set(Object.keys(running)));
    await servers.start(
      token,
      user,
      name,
      build.spec.image,
      build.spec.displayName || build.spec.name
    );
    request.log.info(
      { user, server: name, image: build.spec.image },
      'launch: asked the hub to start a server'
    );
    const path = `${encodeURIComponent(user)}/${name}/`;
    return reply.status(202).send({
      server: name,
      image: build.spec.image,
      progress: `launch/servers/${name}/progress`,
      url: `${hubBase}user/${path}`
    });
  });

  app.get<{ Params: { name: string } }>(
    '/launch/servers/:name/progress',
    async (request, reply) => {
      const servers = requireHub();
      requireUser(request.identity);
      const name = request.params.name;
      if (name.length > 30 || !SERVER_NAME.test(name)) {
        throw invalidField(
          'server',
          `"${name.slice(0, 40)}" is not a server name`
        );
      }
      const release = streams.acquire(request.identity.name);
      const controller = new AbortController();
      reply.raw.once('close', () => {
        controller.abort();
        release(); // however the stream ends; releasing twice counts once
      });
      let upstream: Response;
      try {
        upstream = await servers.progress(
          userToken(request, session),
          request.identity.name,
          name,
          controller.signal
        );
      } catch (error) {
        release();
        throw error;
      }
      // Written raw, as the build log is: no compression, no buffering (see NOTES on the proxy).
      reply.hijack();
      reply.raw.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Accel-Buffering': 'no',
        Connection: 'keep-alive'
      });
      try {
        for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) {
          reply.raw.write(chunk);
        }
      } catch {
        // the client left (abort) or the hub closed the stream: either way, done
      } finally {
        controller.abort();
        reply.raw.end();
      }
    }
  );
}
