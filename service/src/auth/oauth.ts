/**
 * The OAuth2 code flow with JupyterHub for people who open the service's own page from the hub's
 * Services menu (as jupyterhub.services.auth.HubOAuth does it): redirect to the hub's authorize
 * URL with a random `state` and a PKCE challenge, check both on the callback, exchange the code
 * for the user's token, and keep that token in a signed, HttpOnly cookie scoped to the prefix.
 * Writes made with that cookie must carry an XSRF token derived from it.
 */
import {
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual
} from 'node:crypto';
import { ApiError } from '../api/errors.js';

export interface OAuthSettings {
  /** `service-<name>` (`JUPYTERHUB_CLIENT_ID`). */
  clientId: string;
  /** The service's `JUPYTERHUB_API_TOKEN`, which is its client secret. */
  clientSecret: string;
  /** `JUPYTERHUB_API_URL`; the token endpoint is `<apiUrl>/oauth2/token`. */
  apiUrl: string;
  /** Where the browser is sent: `JUPYTERHUB_HOST` + `JUPYTERHUB_BASE_URL` + `hub/api/oauth2/authorize`. */
  authorizeUrl: string;
  /** `JUPYTERHUB_OAUTH_CALLBACK_URL`, e.g. `/services/repo2docker/oauth_callback`. */
  callbackUrl: string;
}

/** What the flow keeps between the redirect and the callback (in a signed cookie). */
export interface PendingLogin {
  state: string;
  verifier: string;
  /** Path to return to after login (always under the prefix). */
  next: string;
}

const base64url = (buffer: Buffer): string => buffer.toString('base64url');

export function startLogin(
  settings: OAuthSettings,
  next: string
): { url: string; pending: PendingLogin } {
  const state = base64url(randomBytes(16));
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const params = new URLSearchParams({
    client_id: settings.clientId,
    redirect_uri: settings.callbackUrl,
    response_type: 'code',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256'
  });
  return {
    url: `${settings.authorizeUrl}?${params}`,
    pending: { state, verifier, next }
  };
}

/** Exchange the callback's code for the user's token; throws 400 on a bad state or code. */
export async function finishLogin(
  settings: OAuthSettings,
  pending: PendingLogin | null,
  query: { code?: string; state?: string; error?: string }
): Promise<string> {
  if (query.error) {
    throw new ApiError(
      400,
      'oauth_denied',
      `the hub did not authorize this page: ${query.error}`
    );
  }
  const given = Buffer.from(query.state ?? '');
  const expected = Buffer.from(pending?.state ?? '');
  if (
    !pending ||
    !query.code ||
    given.length !== expected.length ||
    !timingSafeEqual(given, expected)
  ) {
    throw new ApiError(
      400,
      'oauth_state',
      'this login link is stale or was not started here; open the page again'
    );
  }
  let response: Response;
  try {
    response = await fetch(
      `${settings.apiUrl.replace(/\/$/, '')}/oauth2/token`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json'
        },
        body: new URLSearchParams({
          client_id: settings.clientId,
          client_secret: settings.clientSecret,
          grant_type: 'authorization_code',
          code: query.code,
          redirect_uri: settings.callbackUrl,
          code_verifier: pending.verifier
        }),
        signal: AbortSignal.timeout(10_000)
      }
    );
  } catch {
    throw new ApiError(
      503,
      'hub_unreachable',
      'JupyterHub does not answer; try again later'
    );
  }
  if (!response.ok) {
    throw new ApiError(
      400,
      'oauth_code',
      'the hub refused this login (the code expired?); open the page again'
    );
  }
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) {
    throw new ApiError(502, 'oauth_reply', 'the hub answered without a token');
  }
  return body.access_token;
}

/** The XSRF token a page must send back with cookie-authenticated writes. */
export function xsrfToken(cookieSecret: string, sessionToken: string): string {
  return createHmac('sha256', cookieSecret)
    .update(`xsrf:${sessionToken}`)
    .digest('hex');
}

export function checkXsrf(
  cookieSecret: string,
  sessionToken: string,
  given: string | undefined
): void {
  const expected = Buffer.from(xsrfToken(cookieSecret, sessionToken));
  const actual = Buffer.from(given ?? '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new ApiError(
      403,
      'xsrf',
      "this write lacks the page's XSRF token; reload the page"
    );
  }
}

/** Settings from the environment JupyterHub gives a managed service; `null` outside a hub. */
export function oauthSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  serviceName: string,
  prefix: string
): OAuthSettings | null {
  if (!env.JUPYTERHUB_API_URL || !env.JUPYTERHUB_API_TOKEN) {
    return null;
  }
  const baseUrl = env.JUPYTERHUB_BASE_URL ?? '/';
  return {
    clientId: env.JUPYTERHUB_CLIENT_ID ?? `service-${serviceName}`,
    clientSecret: env.JUPYTERHUB_API_TOKEN,
    apiUrl: env.JUPYTERHUB_API_URL,
    authorizeUrl: `${env.JUPYTERHUB_HOST ?? ''}${baseUrl.replace(/\/?$/, '/')}hub/api/oauth2/authorize`,
    callbackUrl: env.JUPYTERHUB_OAUTH_CALLBACK_URL ?? `${prefix}oauth_callback`
  };
}
