/**
 * What to tell the user when the hub refuses to start, list or stop a server: plain words, and
 * for what only an administrator can change, the very `jupyterhub_config.py` lines to add (as
 * `errorWords.ts` does for the service's scopes).
 */

import type { TranslationBundle } from '@jupyterlab/translation';

/** What kind of failure, from the user's point of view. */
export type HubErrorKind =
  /** 403: the page's token lacks a hub scope (`scope`). */
  | 'missing_scope'
  /** 403 for another reason. */
  | 'forbidden'
  /** 400 "Named servers are not enabled.": `c.JupyterHub.allow_named_servers` is off. */
  | 'named_servers_off'
  /** Another 400/409: the hub or the spawner refused this start (image not allowed, limit, …). */
  | 'refused'
  | 'unauthorized'
  | 'not_found'
  /** The spawn began and failed (the progress stream's `failed` event). */
  | 'spawn_failed'
  /** No answer from the hub, or its stream broke off. */
  | 'unreachable'
  | 'server'
  | 'unexpected';

/** The line that turns named servers on. */
export const NAMED_SERVERS_LINE = 'c.JupyterHub.allow_named_servers = True';

/** The setting that gives JupyterLab's token its scopes. */
export const TOKEN_SCOPES_SETTING = 'c.Spawner.oauth_client_allowed_scopes';

/** The scopes, as written in the config (`!user`: each user's own servers only). */
export const CONFIG_SCOPES = [
  'start:servers!user',
  'read:servers!user',
  'delete:servers!user'
] as const;

/** The config line that grants every scope the panel needs. */
export function scopesConfigLine(): string {
  return `${TOKEN_SCOPES_SETTING} += [${CONFIG_SCOPES.map(s => `"${s}"`).join(', ')}]`;
}

export interface IHubWordsContext {
  trans: TranslationBundle;
  said?: string;
  scope?: string | null;
  status?: number | null;
  hubUrl?: string;
}

export interface IHubWords {
  message: string;
  diagnosis: string | null;
}

/** How an admin grants the server scopes (all three: starting needs reading and stopping too). */
export function scopesDiagnosis(trans: TranslationBundle): string {
  return trans.__(
    'An administrator adds %1, %2 and %3 to %4 in jupyterhub_config.py (%5); then restart your server from the hub’s home page, so that JupyterLab receives a token with them.',
    CONFIG_SCOPES[0],
    CONFIG_SCOPES[1],
    CONFIG_SCOPES[2],
    TOKEN_SCOPES_SETTING,
    scopesConfigLine()
  );
}

/** How an admin turns named servers on. */
export function namedServersDiagnosis(trans: TranslationBundle): string {
  return trans.__(
    'An administrator adds %1 to jupyterhub_config.py and restarts the hub: each environment runs as a named server of yours.',
    NAMED_SERVERS_LINE
  );
}

/** The panel's notice when the token lacks server scopes (known from `GET api/user`). */
export function missingScopesMessage(
  missing: readonly string[],
  trans: TranslationBundle
): string {
  return trans.__(
    'Servers cannot be started from here: JupyterLab’s token lacks the hub scope %1.',
    missing.join(', ')
  );
}

/** The words of each kind of failure (and of a progress stream that broke off). */
export function hubErrorWords(
  kind: HubErrorKind | 'stream_ended',
  c: IHubWordsContext
): IHubWords {
  const { trans } = c;
  const said = c.said ?? '';
  switch (kind) {
    case 'missing_scope':
      return {
        message: c.scope
          ? trans.__(
              'The hub refused: JupyterLab’s token lacks the scope %1.',
              c.scope
            )
          : trans.__('The hub refused: JupyterLab’s token lacks a scope.'),
        diagnosis: scopesDiagnosis(trans)
      };
    case 'forbidden':
      return {
        message: said
          ? trans.__('The hub refused: %1', said)
          : trans.__('The hub refused the request.'),
        diagnosis: scopesDiagnosis(trans)
      };
    case 'named_servers_off':
      return {
        message: trans.__(
          'This hub does not allow named servers, so an environment cannot get a server of its own.'
        ),
        diagnosis: namedServersDiagnosis(trans)
      };
    case 'refused':
      return {
        message: said
          ? trans.__('The hub did not start the server: %1', said)
          : trans.__('The hub did not start the server.'),
        diagnosis: /not in allowed list/i.test(said)
          ? trans.__(
              'The hub’s spawner does not offer this image: an administrator checks that c.DockerSpawner.allowed_images (or the KubeSpawner profile list) asks the repo2docker service.'
            )
          : /maximum of/i.test(said)
            ? trans.__('Stop one of your servers, then try again.')
            : null
      };
    case 'unauthorized':
      return {
        message: trans.__('The hub no longer accepts JupyterLab’s token.'),
        diagnosis: trans.__(
          'Reload the page; if that does not help, log out and in again.'
        )
      };
    case 'not_found':
      return {
        message: said
          ? trans.__('The hub does not know this server: %1', said)
          : trans.__('The hub does not know this server.'),
        diagnosis: trans.__(
          'It may have been stopped elsewhere: refresh the panel.'
        )
      };
    case 'spawn_failed':
      return {
        message: said
          ? trans.__('The server did not start: %1', said)
          : trans.__('The server did not start.'),
        diagnosis: trans.__(
          'The hub’s log says why; an administrator can check that the image runs jupyterhub-singleuser.'
        )
      };
    case 'stream_ended':
      return {
        message: trans.__(
          'The hub stopped sending the progress of the start before the server was ready.'
        ),
        diagnosis: trans.__(
          'The server may still come up: it is listed under Running servers once it does.'
        )
      };
    case 'unreachable':
      return {
        message: c.hubUrl
          ? trans.__('The hub cannot be reached at %1.', c.hubUrl)
          : trans.__('The hub cannot be reached.'),
        diagnosis: trans.__('Check your connection and try again.')
      };
    case 'server':
      return {
        message: trans.__('The hub failed (HTTP %1).', c.status ?? 500),
        diagnosis: trans.__(
          'Try again; if it keeps failing, an administrator finds the cause in the hub’s log.'
        )
      };
    case 'unexpected':
    default:
      return {
        message: said
          ? trans.__('The hub answered HTTP %1: %2', c.status ?? 0, said)
          : trans.__('The hub answered HTTP %1.', c.status ?? 0),
        diagnosis: null
      };
  }
}
