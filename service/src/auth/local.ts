/**
 * Local mode, for a single user running `jupyter lab`: jupyter-server-proxy starts the service
 * and the Jupyter server's own login guards it. One user holds every scope.
 *
 * On TCP every request must carry the shared secret given at launch (in `X-Repo2docker-Secret`,
 * which the proxy injects, or as `Authorization: token ...`). On a unix socket with no secret
 * configured, the socket's file mode (owner only) is the guard.
 */
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from '../api/errors.js';
import type {
  Authenticator,
  Identity,
  RequestCredentials
} from './identity.js';
import { scopeNames } from './identity.js';

export const SECRET_HEADER = 'x-repo2docker-secret';

function header(request: RequestCredentials, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The token of an `Authorization: token X` or `Authorization: Bearer X` header. */
export function bearerToken(request: RequestCredentials): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(
    header(request, 'authorization') ?? ''
  );
  return match?.[1];
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class LocalAuthenticator implements Authenticator {
  readonly mode = 'local' as const;
  private readonly identity: Identity;

  constructor(
    userName: string,
    private readonly secret: string | null,
    serviceName: string
  ) {
    const names = scopeNames(serviceName);
    this.identity = {
      name: userName,
      admin: true,
      scopes: [names.access, names.read, names.build, names.admin],
      permissions: { access: true, read: true, build: true, admin: true }
    };
  }

  async authenticate(request: RequestCredentials): Promise<Identity> {
    if (this.secret === null) {
      return this.identity;
    }
    const given = header(request, SECRET_HEADER) ?? bearerToken(request);
    if (given === undefined) {
      throw new ApiError(
        401,
        'unauthenticated',
        'this request carries no credentials'
      );
    }
    if (!sameSecret(given, this.secret)) {
      throw new ApiError(
        401,
        'unauthenticated',
        'the credentials of this request are not valid'
      );
    }
    return this.identity;
  }
}
