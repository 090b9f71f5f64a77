/**
 * The service's own page at the prefix, for people who open it from the hub's Services menu.
 * Under JupyterHub it logs them in with the OAuth code flow; in local mode the Jupyter server in
 * front of it (jupyter-server-proxy) has already done so.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, missingScope } from '../../api/errors.js';
import { scopeNames } from '../../auth/identity.js';
import {
  finishLogin,
  startLogin,
  xsrfToken,
  type OAuthSettings
} from '../../auth/oauth.js';
import type { ServiceContext } from '../context.js';
import { pageHtml } from '../page/html.js';
import { PAGE_SCRIPT } from '../page/script.js';
import {
  clearSession,
  credentialsOf,
  pendingLogin,
  sessionToken,
  setPendingLogin,
  setSession,
  type SessionSettings
} from '../session.js';

// No framing at all, not even same-origin: behind a hub every user's server shares the origin, so
// any user's page could frame this one and trick a click (X-Frame-Options for older browsers).
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store'
};

export function pageRoutes(
  app: FastifyInstance,
  ctx: ServiceContext,
  session: SessionSettings,
  oauth: OAuthSettings | null
): void {
  const prefix = session.path;

  app.get('/page.js', { config: { public: true } }, async (_request, reply) =>
    reply
      .headers(PAGE_HEADERS)
      .type('text/javascript; charset=utf-8')
      .send(PAGE_SCRIPT)
  );

  app.get('/', { config: { public: true } }, async (request, reply) => {
    if (!request.url.split('?')[0].endsWith('/')) {
      return reply.redirect(prefix); // relative API paths in the page need the trailing slash
    }
    let token = sessionToken(request, session);
    const access = scopeNames(ctx.config.serviceName).access;
    try {
      const identity = await ctx.authenticator.authenticate(
        credentialsOf(request, session)
      );
      // As on every API route: no page for a token that may not use this service at all.
      if (!identity.permissions.access) {
        reply.headers(PAGE_HEADERS);
        throw missingScope(
          access,
          `your token lacks the scope ${access}, which every request needs`
        );
      }
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !oauth) {
        throw error;
      }
      const { url, pending } = startLogin(oauth, prefix);
      setPendingLogin(reply, request, session, pending);
      clearSession(reply, session);
      return reply.redirect(url);
    }
    token ??= 'local';
    return reply
      .headers(PAGE_HEADERS)
      .type('text/html; charset=utf-8')
      .send(pageHtml(xsrfToken(session.cookieSecret, token)));
  });

  app.get<{ Querystring: { code?: string; state?: string; error?: string } }>(
    '/oauth_callback',
    { config: { public: true } },
    async (request, reply) => {
      if (!oauth) {
        throw new ApiError(
          404,
          'not_found',
          'there is no OAuth login outside JupyterHub'
        );
      }
      const pending = pendingLogin(request, session);
      const token = await finishLogin(oauth, pending, request.query);
      setSession(reply, request, session, token);
      // Back where the login began (e.g. a launch link); `next` comes from our signed cookie.
      const next = pending?.next ?? prefix;
      return reply.redirect(
        next.startsWith(prefix) && !next.includes('\\') ? next : prefix
      );
    }
  );
}
