/**
 * How a request proves who it is: a token in the Authorization header (the JupyterLab extension,
 * scripts), the local secret header (jupyter-server-proxy), or the service page's session cookie
 * set by the OAuth flow. Cookie-authenticated writes must also carry the page's XSRF token, since
 * a browser sends cookies with requests other sites make it send.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientAddress } from '../auth/failure-limiter.js';
import type { RequestCredentials } from '../auth/identity.js';
import { checkXsrf, type PendingLogin } from '../auth/oauth.js';

export interface SessionSettings {
  cookieSecret: string;
  /** Cookie path: the service prefix. */
  path: string;
  sessionCookie: string;
  stateCookie: string;
  /** Peers whose X-Forwarded-For names the client (`auth.trustedProxies`). */
  trustedProxies: string[];
}

export function sessionSettings(
  serviceName: string,
  prefix: string,
  cookieSecret: string,
  trustedProxies: string[] = ['127.0.0.1', '::1']
): SessionSettings {
  return {
    cookieSecret,
    path: prefix,
    sessionCookie: `${serviceName}-session`,
    stateCookie: `${serviceName}-oauth-state`,
    trustedProxies
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function signedCookie(request: FastifyRequest, name: string): string | null {
  const raw = request.cookies[name];
  if (!raw) {
    return null;
  }
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid ? unsigned.value : null;
}

/** The user token of the page's session, if its cookie is present and signed by us. */
export function sessionToken(
  request: FastifyRequest,
  settings: SessionSettings
): string | null {
  return signedCookie(request, settings.sessionCookie);
}

/** Credentials for the authenticator; checks XSRF when only the session cookie vouches for a write. */
export function credentialsOf(
  request: FastifyRequest,
  settings: SessionSettings
): RequestCredentials {
  const client = clientAddress(
    request.raw.socket?.remoteAddress,
    request.headers['x-forwarded-for'],
    settings.trustedProxies
  );
  if (
    request.headers.authorization ||
    request.headers['x-repo2docker-secret']
  ) {
    return { headers: request.headers, client };
  }
  const token = sessionToken(request, settings);
  if (token === null) {
    return { headers: request.headers, client };
  }
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers['x-xsrftoken'];
    checkXsrf(
      settings.cookieSecret,
      token,
      Array.isArray(given) ? given[0] : given
    );
  }
  return {
    headers: { ...request.headers, authorization: `token ${token}` },
    client
  };
}

const cookieOptions = (
  request: FastifyRequest,
  settings: SessionSettings,
  maxAge: number
) => ({
  path: settings.path,
  httpOnly: true,
  signed: true,
  sameSite: 'lax' as const,
  secure:
    request.protocol === 'https' ||
    request.headers['x-forwarded-proto'] === 'https',
  maxAge
});

export function setSession(
  reply: FastifyReply,
  request: FastifyRequest,
  settings: SessionSettings,
  token: string
): void {
  reply.setCookie(
    settings.sessionCookie,
    token,
    cookieOptions(request, settings, 8 * 3600)
  );
  reply.clearCookie(settings.stateCookie, { path: settings.path });
}

export function clearSession(
  reply: FastifyReply,
  settings: SessionSettings
): void {
  reply.clearCookie(settings.sessionCookie, { path: settings.path });
}

export function setPendingLogin(
  reply: FastifyReply,
  request: FastifyRequest,
  settings: SessionSettings,
  pending: PendingLogin
): void {
  reply.setCookie(
    settings.stateCookie,
    JSON.stringify(pending),
    cookieOptions(request, settings, 600)
  );
}

export function pendingLogin(
  request: FastifyRequest,
  settings: SessionSettings
): PendingLogin | null {
  const value = signedCookie(request, settings.stateCookie);
  try {
    return value ? (JSON.parse(value) as PendingLogin) : null;
  } catch {
    return null;
  }
}
