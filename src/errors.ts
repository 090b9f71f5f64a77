/**
 * What went wrong when talking to the repo2docker service, in plain words.
 *
 * Every failure of the client (a refused request, an unreachable service, a proxy's HTML error
 * page) becomes one `ServiceError` with a `kind` the UI can switch on, a translated `message`
 * saying what happened and, where the user or an admin can do something about it, a `diagnosis`
 * saying what to do.
 */

import type { ErrorBody } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';

/** The service's name in JupyterHub (`c.JupyterHub.services`), and so in its scopes. */
export const SERVICE_NAME = 'repo2docker';

/** The scope without which the service refuses every request. */
export const ACCESS_SCOPE = `access:services!service=${SERVICE_NAME}`;

/** What kind of failure, from the user's point of view. */
export type ServiceErrorKind =
  /** The service could not be reached at all (network failure, or a proxy answered for it). */
  | 'unreachable'
  /** 400: the request had bad input; `field` names it when the service says which. */
  | 'invalid'
  /** 401: the token is missing or expired. */
  | 'unauthorized'
  /** 403 with `code: 'missing_scope'`: the token lacks `scope`. */
  | 'missing_scope'
  /** 403 for another reason (not the owner). */
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'rate_limited'
  /** 503: the service runs but its Docker engine is unreachable. */
  | 'engine_unavailable'
  /** Any other 5xx the service answered itself. */
  | 'server'
  /** Anything else (an unexpected status or body). */
  | 'unexpected';

export interface IServiceErrorOptions {
  kind: ServiceErrorKind;
  /** Plain-words, translated description of what happened. */
  message: string;
  /** What to do about it, when there is something to do; translated. */
  diagnosis?: string | null;
  /** HTTP status, `null` when no response arrived. */
  status?: number | null;
  /** The service's machine-readable code (`invalid_field`, `missing_scope`, …). */
  code?: string | null;
  /** The request field at fault (400). */
  field?: string | null;
  /** The scope that would have allowed the request (403 `missing_scope`). */
  scope?: string | null;
  /** The service's base URL the request went to. */
  serviceUrl: string;
  /** The failure this error wraps (network errors). */
  cause?: unknown;
}

/** A failed call to the repo2docker service. */
export class ServiceError extends Error {
  constructor(options: IServiceErrorOptions) {
    super(options.message);
    this.name = 'ServiceError';
    this.kind = options.kind;
    this.diagnosis = options.diagnosis ?? null;
    this.status = options.status ?? null;
    this.code = options.code ?? null;
    this.field = options.field ?? null;
    this.scope = options.scope ?? null;
    this.serviceUrl = options.serviceUrl;
    this.cause = options.cause;
  }

  readonly kind: ServiceErrorKind;
  readonly diagnosis: string | null;
  readonly status: number | null;
  readonly code: string | null;
  readonly field: string | null;
  readonly scope: string | null;
  readonly serviceUrl: string;
  readonly cause: unknown;
}

/** Whether `value` is a `ServiceError`. */
export function isServiceError(value: unknown): value is ServiceError {
  return value instanceof ServiceError;
}

/**
 * A `jupyterhub_config.py` hint that grants `scope`, for when the service did not send one
 * (its `info.user.missing[].hint` is preferred when available).
 */
export function scopeConfigHint(scope: string, trans: TranslationBundle): string {
  const relogin = trans.__(
    'Users then log out and in again so that JupyterLab receives a token with the new scope.'
  );
  if (scope.startsWith('access:services')) {
    return (
      trans.__(
        'An administrator grants it in jupyterhub_config.py: add "%1" to the scopes of a role given to your users or group (c.JupyterHub.load_roles) and to c.Spawner.oauth_client_allowed_scopes.',
        scope
      ) +
      ' ' +
      relogin
    );
  }
  if (scope.startsWith('custom:')) {
    return (
      trans.__(
        'An administrator grants it in jupyterhub_config.py: declare "%1" in c.JupyterHub.custom_scopes, add it to the scopes of a role given to your users or group (c.JupyterHub.load_roles) and to c.Spawner.oauth_client_allowed_scopes.',
        scope
      ) +
      ' ' +
      relogin
    );
  }
  return (
    trans.__(
      'An administrator grants it in jupyterhub_config.py: add "%1" to a role of yours (c.JupyterHub.load_roles) and to c.Spawner.oauth_client_allowed_scopes.',
      scope
    ) +
    ' ' +
    relogin
  );
}

/** What to do about a failure nobody can fix from the browser. */
function tryAgainDiagnosis(trans: TranslationBundle): string {
  return trans.__(
    'Try again; if it keeps failing, an administrator finds the cause in the service’s log.'
  );
}

/** The message of an unreachable service. */
export function unreachableMessage(serviceUrl: string, trans: TranslationBundle): string {
  return trans.__('The repo2docker service cannot be reached at %1.', serviceUrl);
}

function unreachableDiagnosis(trans: TranslationBundle): string {
  return trans.__(
    'Check that the service is running: under JupyterHub it is declared in jupyterhub_config.py (c.JupyterHub.services); on a single machine jupyter-server-proxy starts it. Its address can be set in Settings → Environments (serviceUrl).'
  );
}

/** Turn a failure of `fetch` (no response at all) into a `ServiceError`. */
export function errorFromNetworkFailure(
  reason: unknown,
  serviceUrl: string,
  trans: TranslationBundle
): ServiceError {
  return new ServiceError({
    kind: 'unreachable',
    message: unreachableMessage(serviceUrl, trans),
    diagnosis: unreachableDiagnosis(trans),
    serviceUrl,
    cause: reason
  });
}

/** Parse the service's `{error: {...}}` body; `null` when the body is anything else. */
export function parseErrorBody(text: string): ErrorBody['error'] | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) {
    return null;
  }
  const error = (data as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) {
    return null;
  }
  const { code, message, field, scope } = error as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') {
    return null;
  }
  return {
    code,
    message,
    ...(typeof field === 'string' ? { field } : {}),
    ...(typeof scope === 'string' ? { scope } : {})
  };
}

/**
 * Turn a response that is not OK into a `ServiceError`. Reads the body (so the response must
 * not have been read before).
 */
export async function errorFromResponse(
  response: Response,
  serviceUrl: string,
  trans: TranslationBundle
): Promise<ServiceError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // An unreadable body is treated as a non-JSON one.
  }
  return errorFromStatus(response.status, parseErrorBody(text), serviceUrl, trans);
}

/**
 * The `ServiceError` for an HTTP status and the service's error body (`null` when the body
 * was not the service's JSON: then a proxy or another server answered in its place).
 */
export function errorFromStatus(
  status: number,
  body: ErrorBody['error'] | null,
  serviceUrl: string,
  trans: TranslationBundle
): ServiceError {
  const base = {
    status,
    code: body?.code ?? null,
    field: body?.field ?? null,
    scope: body?.scope ?? null,
    serviceUrl
  };
  const said = body?.message;

  if (status === 401) {
    return new ServiceError({
      ...base,
      kind: 'unauthorized',
      message: trans.__('Your session token expired: reload JupyterLab.'),
      diagnosis: trans.__(
        'The repo2docker service no longer accepts the token JupyterLab received when the page loaded. Reloading the page gives it a new one; if that does not help, log out and in again.'
      )
    });
  }

  if (body === null) {
    // The service always answers JSON: anything else came from a proxy or server in front of
    // it, which means the service itself was not reached.
    if ([404, 502, 503, 504].includes(status)) {
      return new ServiceError({
        ...base,
        kind: 'unreachable',
        message: unreachableMessage(serviceUrl, trans),
        diagnosis:
          trans.__('Something else answered in its place (HTTP %1).', status) +
          ' ' +
          unreachableDiagnosis(trans)
      });
    }
    if (status === 403) {
      return new ServiceError({
        ...base,
        kind: 'forbidden',
        message: trans.__('Access to the repo2docker service was refused (HTTP 403).'),
        diagnosis: scopeConfigHint(ACCESS_SCOPE, trans)
      });
    }
    return new ServiceError({
      ...base,
      kind: status >= 500 ? 'server' : 'unexpected',
      message: trans.__(
        'The repo2docker service answered with an unexpected error (HTTP %1).',
        status
      ),
      diagnosis: tryAgainDiagnosis(trans)
    });
  }

  switch (status) {
    case 400:
      return new ServiceError({
        ...base,
        kind: 'invalid',
        message: said || trans.__('The request was refused as invalid.'),
        diagnosis: body.field ? null : trans.__('Correct what you entered and try again.')
      });
    case 403:
      if (body.code === 'missing_scope') {
        const scope = body.scope ?? null;
        return new ServiceError({
          ...base,
          kind: 'missing_scope',
          message: scope
            ? trans.__('Your token lacks the scope %1.', scope)
            : trans.__('Your token lacks a scope this needs: %1', said ?? ''),
          diagnosis: scope ? scopeConfigHint(scope, trans) : null
        });
      }
      return new ServiceError({
        ...base,
        kind: 'forbidden',
        message: said || trans.__('You are not allowed to do this.'),
        diagnosis: trans.__(
          'Only the owner of a build or image, or an administrator, may change it.'
        )
      });
    case 404:
      return new ServiceError({
        ...base,
        kind: 'not_found',
        message: said || trans.__('Not found: it may have been deleted.'),
        diagnosis: trans.__(
          'Refresh the Environments panel: it may have been deleted, or the service restarted and no longer knows it.'
        )
      });
    case 410:
      return new ServiceError({
        ...base,
        kind: 'not_found',
        message: said || trans.__('This is no longer kept by the service.'),
        diagnosis: trans.__(
          'The service keeps only the most recent build logs: rebuild the image to get a new one.'
        )
      });
    case 409:
      return new ServiceError({
        ...base,
        kind: 'conflict',
        message: said || trans.__('This conflicts with the current state; refresh and retry.'),
        diagnosis:
          body.code === 'image_in_use'
            ? trans.__('Stop the servers or containers that use this image, then delete it again.')
            : body.code === 'registry_delete_unsupported'
              ? trans.__(
                  'The registry does not allow deleting images: an administrator removes it there.'
                )
              : trans.__('Refresh the Environments panel, then try again.')
      });
    case 413:
      return new ServiceError({
        ...base,
        kind: 'too_large',
        message: said || trans.__('The request is too large.'),
        diagnosis: trans.__('Shorten what you entered and try again.')
      });
    case 429:
      return new ServiceError({
        ...base,
        kind: 'rate_limited',
        message: said || trans.__('Too many builds at once.'),
        diagnosis: trans.__('Wait for one of your builds to finish, or cancel one, then retry.')
      });
    case 503:
      if (body.code === 'service_stopping') {
        return new ServiceError({
          ...base,
          kind: 'server',
          message: trans.__('The repo2docker service is stopping or restarting.'),
          diagnosis: trans.__('Try again in a minute, once it is back.')
        });
      }
      return new ServiceError({
        ...base,
        kind: 'engine_unavailable',
        message: trans.__('The repo2docker service cannot reach its Docker engine.'),
        diagnosis:
          (said ? said + ' ' : '') +
          trans.__(
            'Builds cannot run until an administrator brings the Docker engine back (see DOCKER_HOST in the service configuration).'
          )
      });
    default:
      return new ServiceError({
        ...base,
        kind: status >= 500 ? 'server' : 'unexpected',
        message:
          said || trans.__('The repo2docker service answered with an error (HTTP %1).', status),
        diagnosis: tryAgainDiagnosis(trans)
      });
  }
}
