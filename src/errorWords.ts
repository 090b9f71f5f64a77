/**
 * What to tell the user about each error the repo2docker service answers with: one entry per
 * `error.code` of the contract (`ERROR_CODES`), so each code has its own words. The table is a
 * `Record` over the contract's `ErrorCode`: a code added to the contract without words here does
 * not compile. A code the table does not know (an older or newer service) falls back to words
 * by HTTP status (`errors.ts`).
 */

import type { ErrorCode } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ServiceErrorKind } from './errors';
import { folderWords } from './folderWords';

/** What the service said, and where. */
export interface IErrorContext {
  trans: TranslationBundle;
  /** The service's own message (plain words, English). */
  said: string;
  field: string | null;
  scope: string | null;
  serviceName: string;
}

/** The words of one error. */
export interface IErrorWords {
  kind: ServiceErrorKind;
  message: string;
  diagnosis: string | null;
}

/** The scope without which the service named `serviceName` refuses every request. */
export function accessScope(serviceName: string): string {
  return `access:services!service=${serviceName}`;
}

/**
 * A `jupyterhub_config.py` hint that grants `scope`, for when the service did not send one
 * (its `info.user.missing[].hint` is preferred when available).
 */
export function scopeConfigHint(
  scope: string,
  trans: TranslationBundle
): string {
  const relogin = trans.__(
    'Users then log out and in again so that JupyterLab receives a token with the new scope.'
  );
  let grant: string;
  if (scope.startsWith('access:services')) {
    grant = trans.__(
      'An administrator grants it in jupyterhub_config.py: add "%1" to the scopes of a role given to your users or group (c.JupyterHub.load_roles) and to c.Spawner.oauth_client_allowed_scopes.',
      scope
    );
  } else if (scope.startsWith('custom:')) {
    grant = trans.__(
      'An administrator grants it in jupyterhub_config.py: declare "%1" in c.JupyterHub.custom_scopes, add it to the scopes of a role given to your users or group (c.JupyterHub.load_roles) and to c.Spawner.oauth_client_allowed_scopes.',
      scope
    );
  } else {
    grant = trans.__(
      'An administrator grants it in jupyterhub_config.py: add "%1" to a role of yours (c.JupyterHub.load_roles) and to c.Spawner.oauth_client_allowed_scopes.',
      scope
    );
  }
  return `${grant} ${relogin}`;
}

/** What to do about a failure nobody can fix from the browser. */
export function tryAgainDiagnosis(trans: TranslationBundle): string {
  return trans.__(
    'Try again; if it keeps failing, an administrator finds the cause in the service’s log.'
  );
}

/** The message of an unreachable service. */
export function unreachableMessage(
  serviceUrl: string,
  trans: TranslationBundle
): string {
  return trans.__(
    'The repo2docker service cannot be reached at %1.',
    serviceUrl
  );
}

export function unreachableDiagnosis(trans: TranslationBundle): string {
  return trans.__(
    'Check that the service is running: under JupyterHub it is declared in jupyterhub_config.py (c.JupyterHub.services); on a single machine jupyter-server-proxy starts it. Its address can be set in Settings → Environments (serviceUrl).'
  );
}

/** The 401 words, whatever the body: only a new token helps. */
export function unauthorizedWords(trans: TranslationBundle): IErrorWords {
  return {
    kind: 'unauthorized',
    message: trans.__('Your session token expired: reload JupyterLab.'),
    diagnosis: trans.__(
      'The repo2docker service no longer accepts the token JupyterLab received when the page loaded. Reloading the page gives it a new one; if that does not help, log out and in again.'
    )
  };
}

function invalid({ trans, said, field }: IErrorContext): IErrorWords {
  return {
    kind: 'invalid',
    message: said || trans.__('The request was refused as invalid.'),
    diagnosis: field
      ? null
      : trans.__('Correct what you entered and try again.')
  };
}

/** Words of the service's page login (OAuth with the hub); the extension's calls never log in. */
function login({ trans, said }: IErrorContext): IErrorWords {
  return {
    kind: 'unauthorized',
    message: trans.__('Logging in to the repo2docker service failed: %1', said),
    diagnosis: trans.__('Reload the page to log in again.')
  };
}

/** The extension asked something this service does not offer: versions that do not match. */
function mismatch(status: number) {
  return ({ trans }: IErrorContext): IErrorWords => ({
    kind: 'unexpected',
    message: trans.__(
      'The repo2docker service does not accept this request (HTTP %1).',
      status
    ),
    diagnosis: trans.__(
      'JupyterLab’s extension and the service may be of different versions: an administrator updates them together.'
    )
  });
}

function registry(
  message: (c: IErrorContext) => string,
  diagnosis: (c: IErrorContext) => string
) {
  return (c: IErrorContext): IErrorWords => ({
    kind: 'registry_unavailable',
    message: message(c),
    diagnosis: diagnosis(c)
  });
}

/** The words of the service's folder-upload codes (issue 18): those of `folderWords.ts`. */
function folder(code: ErrorCode) {
  return (c: IErrorContext): IErrorWords =>
    folderWords(code, { trans: c.trans, said: c.said }) ?? invalid(c);
}

/** Each code's words. */
export const CODE_WORDS: Readonly<
  Record<ErrorCode, (c: IErrorContext) => IErrorWords>
> = {
  invalid_body: invalid,
  invalid_field: invalid,
  oauth_code: login,
  oauth_denied: login,
  oauth_state: login,
  bad_archive: folder('bad_archive'),
  bad_member: folder('bad_member'),
  digest_mismatch: folder('digest_mismatch'),
  duplicate_member: folder('duplicate_member'),
  link_outside: folder('link_outside'),
  unsupported_member: folder('unsupported_member'),
  length_required: mismatch(411),
  too_many_files: folder('too_many_files'),
  uploads_unsupported: folder('uploads_unsupported'),
  unauthenticated: ({ trans }) => unauthorizedWords(trans),
  forbidden: ({ trans, said }) => ({
    kind: 'forbidden',
    message: said || trans.__('You are not allowed to do this.'),
    diagnosis: trans.__(
      'Only the owner of a build or image, or an administrator, may change it.'
    )
  }),
  missing_scope: ({ trans, said, scope }) => ({
    kind: 'missing_scope',
    message: scope
      ? trans.__('Your token lacks the scope %1.', scope)
      : trans.__('Your token lacks a scope this needs: %1', said),
    diagnosis: scope ? scopeConfigHint(scope, trans) : null
  }),
  xsrf: ({ trans }) => ({
    kind: 'forbidden',
    message: trans.__(
      'The repo2docker service refused the request: it did not come with the page’s XSRF token.'
    ),
    diagnosis: trans.__('Reload JupyterLab and try again.')
  }),
  not_found: ({ trans, said }) => ({
    kind: 'not_found',
    message: said || trans.__('Not found: it may have been deleted.'),
    diagnosis: trans.__(
      'Refresh the Environments panel: it may have been deleted, or the service restarted and no longer knows it.'
    )
  }),
  method_not_allowed: mismatch(405),
  image_in_use: ({ trans, said }) => ({
    kind: 'conflict',
    message: said || trans.__('The image is in use.'),
    diagnosis: trans.__(
      'Stop the servers or containers that use this image, then delete it again.'
    )
  }),
  not_relabelable: ({ trans, said }) => ({
    kind: 'conflict',
    message: said || trans.__('This image cannot be shared as it is.'),
    diagnosis: trans.__(
      'Its Dockerfile has ONBUILD instructions, which changing who sees it would run: rebuild it without them to share it.'
    )
  }),
  registry_delete_unsupported: ({ trans, said }) => ({
    kind: 'conflict',
    message: said || trans.__('The registry does not allow deleting images.'),
    diagnosis: trans.__(
      'The registry does not allow deleting images: an administrator removes it there.'
    )
  }),
  log_expired: ({ trans, said }) => ({
    kind: 'not_found',
    message: said || trans.__('This is no longer kept by the service.'),
    diagnosis: trans.__(
      'The service keeps only the most recent build logs: rebuild the image to get a new one.'
    )
  }),
  too_large: ({ trans, said }) => ({
    kind: 'too_large',
    message: said || trans.__('The request is too large.'),
    diagnosis: trans.__('Shorten what you entered and try again.')
  }),
  unsupported_media_type: mismatch(415),
  too_many_builds: ({ trans, said }) => ({
    kind: 'rate_limited',
    message: said || trans.__('Too many builds at once.'),
    diagnosis: trans.__(
      'Wait for one of your builds to finish, or cancel one, then retry.'
    )
  }),
  too_many_failures: ({ trans }) => ({
    kind: 'rate_limited',
    message: trans.__(
      'The repo2docker service refuses requests for a while: too many of them failed to log in.'
    ),
    diagnosis: trans.__('Wait a few minutes, then reload JupyterLab.')
  }),
  too_many_streams: ({ trans }) => ({
    kind: 'rate_limited',
    message: trans.__('Too many build logs are open at once.'),
    diagnosis: trans.__('Close some build log tabs, then try again.')
  }),
  internal: ({ trans }) => ({
    kind: 'server',
    message: trans.__(
      'The repo2docker service failed unexpectedly (HTTP 500).'
    ),
    diagnosis: tryAgainDiagnosis(trans)
  }),
  registry_error: registry(
    ({ trans, said }) =>
      trans.__('The image registry answered with an error: %1', said),
    ({ trans }) => tryAgainDiagnosis(trans)
  ),
  registry_unauthorized: registry(
    ({ trans }) =>
      trans.__('The image registry refused the service’s credentials.'),
    ({ trans }) =>
      trans.__(
        'An administrator checks the registry credentials in the service configuration.'
      )
  ),
  registry_unreachable: registry(
    ({ trans }) => trans.__('The image registry cannot be reached.'),
    ({ trans }) =>
      trans.__(
        'Images in the Docker engine still work; pushing to and listing the registry wait until an administrator brings it back.'
      )
  ),
  oauth_reply: ({ trans }) => ({
    kind: 'server',
    message: trans.__(
      'The repo2docker service could not read JupyterHub’s answer to the login.'
    ),
    diagnosis: trans.__('Reload the page to log in again.')
  }),
  docker_unreachable: ({ trans, said }) => engineWords(trans, said),
  hub_unreachable: ({ trans }) => ({
    kind: 'hub_unavailable',
    message: trans.__(
      'The repo2docker service cannot reach JupyterHub to check who you are.'
    ),
    diagnosis: trans.__(
      'Try again in a minute; if it keeps failing, an administrator checks that JupyterHub runs and that the service reaches its API (JUPYTERHUB_API_URL).'
    )
  }),
  service_stopping: ({ trans }) => ({
    kind: 'server',
    message: trans.__('The repo2docker service is stopping or restarting.'),
    diagnosis: trans.__('Try again in a minute, once it is back.')
  })
};

/** The Docker engine is away (the service runs). */
export function engineWords(
  trans: TranslationBundle,
  said: string
): IErrorWords {
  return {
    kind: 'engine_unavailable',
    message: trans.__(
      'The repo2docker service cannot reach its Docker engine.'
    ),
    diagnosis:
      (said ? said + ' ' : '') +
      trans.__(
        'Builds cannot run until an administrator brings the Docker engine back (see DOCKER_HOST in the service configuration).'
      )
  };
}

/** Whether `code` is one the table has words for. */
export function isKnownCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(CODE_WORDS, code);
}
