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
import {
  accessScope,
  CODE_WORDS,
  engineWords,
  isKnownCode,
  scopeConfigHint,
  tryAgainDiagnosis,
  unauthorizedWords,
  unreachableDiagnosis,
  unreachableMessage,
  type IErrorWords
} from './errorWords';

export { accessScope, scopeConfigHint, unreachableMessage };

/**
 * The service's name in JupyterHub (`c.JupyterHub.services`), and so in its scopes, unless the
 * `serviceName` setting or the page config names it otherwise.
 */
export const DEFAULT_SERVICE_NAME = 'repo2docker';

/** The access scope of the service under its default name. */
export const ACCESS_SCOPE = accessScope(DEFAULT_SERVICE_NAME);

/**
 * The `error` of an error answer as received: its `code` is a string, for a service of another
 * version may send codes this extension does not know.
 */
export type ErrorReply = Omit<ErrorBody['error'], 'code'> & { code: string };

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
  /** 503 `docker_unreachable`: the service runs but its Docker engine is unreachable. */
  | 'engine_unavailable'
  /** 503 `hub_unreachable`: the service runs but cannot reach JupyterHub to check tokens. */
  | 'hub_unavailable'
  /** 502 `registry_*`: the image registry is unreachable or refuses the service. */
  | 'registry_unavailable'
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
export function parseErrorBody(text: string): ErrorReply | null {
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
  trans: TranslationBundle,
  serviceName: string = DEFAULT_SERVICE_NAME
): Promise<ServiceError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // An unreadable body is treated as a non-JSON one.
  }
  return errorFromStatus(
    response.status,
    parseErrorBody(text),
    serviceUrl,
    trans,
    serviceName
  );
}

/**
 * The `ServiceError` for an HTTP status and the service's error body (`null` when the body
 * was not the service's JSON: then a proxy or another server answered in its place). Known codes
 * get their own words (`errorWords.ts`); unknown ones, words by status.
 */
export function errorFromStatus(
  status: number,
  body: ErrorReply | null,
  serviceUrl: string,
  trans: TranslationBundle,
  serviceName: string = DEFAULT_SERVICE_NAME
): ServiceError {
  const base = {
    status,
    code: body?.code ?? null,
    field: body?.field ?? null,
    scope: body?.scope ?? null,
    serviceUrl
  };
  const make = (words: IErrorWords) => new ServiceError({ ...base, ...words });

  if (status === 401) {
    return make(unauthorizedWords(trans));
  }
  if (body === null) {
    return make(wordsWithoutBody(status, serviceUrl, serviceName, trans));
  }
  const context = {
    trans,
    said: body.message,
    field: body.field ?? null,
    scope: body.scope ?? null,
    serviceName
  };
  if (isKnownCode(body.code)) {
    return make(CODE_WORDS[body.code](context));
  }
  return make(wordsByStatus(status, context.said, trans));
}

/**
 * The service always answers JSON: anything else came from a proxy or server in front of it,
 * which means the service itself was not reached (or refused at the hub's door).
 */
function wordsWithoutBody(
  status: number,
  serviceUrl: string,
  serviceName: string,
  trans: TranslationBundle
): IErrorWords {
  if ([404, 502, 503, 504].includes(status)) {
    return {
      kind: 'unreachable',
      message: unreachableMessage(serviceUrl, trans),
      diagnosis:
        trans.__('Something else answered in its place (HTTP %1).', status) +
        ' ' +
        unreachableDiagnosis(trans)
    };
  }
  if (status === 403) {
    return {
      kind: 'forbidden',
      message: trans.__(
        'Access to the repo2docker service was refused (HTTP 403).'
      ),
      diagnosis: scopeConfigHint(accessScope(serviceName), trans)
    };
  }
  return {
    kind: status >= 500 ? 'server' : 'unexpected',
    message: trans.__(
      'The repo2docker service answered with an unexpected error (HTTP %1).',
      status
    ),
    diagnosis: tryAgainDiagnosis(trans)
  };
}

/** Words for a code this extension does not know (a service of another version), by status. */
function wordsByStatus(
  status: number,
  said: string,
  trans: TranslationBundle
): IErrorWords {
  switch (status) {
    case 400:
      return {
        kind: 'invalid',
        message: said || trans.__('The request was refused as invalid.'),
        diagnosis: trans.__('Correct what you entered and try again.')
      };
    case 403:
      return {
        kind: 'forbidden',
        message: said || trans.__('You are not allowed to do this.'),
        diagnosis: null
      };
    case 404:
    case 410:
      return {
        kind: 'not_found',
        message: said || trans.__('Not found: it may have been deleted.'),
        diagnosis: trans.__('Refresh the Environments panel, then try again.')
      };
    case 409:
      return {
        kind: 'conflict',
        message:
          said ||
          trans.__('This conflicts with the current state; refresh and retry.'),
        diagnosis: trans.__('Refresh the Environments panel, then try again.')
      };
    case 413:
      return {
        kind: 'too_large',
        message: said || trans.__('The request is too large.'),
        diagnosis: trans.__('Shorten what you entered and try again.')
      };
    case 429:
      return {
        kind: 'rate_limited',
        message: said || trans.__('Too many requests at once.'),
        diagnosis: trans.__('Wait a little, then try again.')
      };
    case 503:
      // Before the contract listed its codes, every 503 of the service was its Docker engine.
      return engineWords(trans, said);
    default:
      return {
        kind: status >= 500 ? 'server' : 'unexpected',
        message:
          said ||
          trans.__(
            'The repo2docker service answered with an error (HTTP %1).',
            status
          ),
        diagnosis: tryAgainDiagnosis(trans)
      };
  }
}
