/**
 * The words of a failed folder build, by error code: the Jupyter server extension's codes
 * (the folder, its packing, how the server reaches the service: folder-design.md §6) and the
 * service's upload refusals (§3). No imports of `errors.ts`, so that `errorWords.ts` can take the
 * service's folder codes from here too.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import { formatBytes } from './components/format';
import type { ServiceErrorKind } from './errors';

export interface IFolderContext {
  trans: TranslationBundle;
  /** The extension's own message (English, names the file at fault where there is one). */
  said: string;
}

export type Words = {
  kind: ServiceErrorKind;
  message: string;
  diagnosis: string | null;
};

/** The first whole number in a message: the limit the extension names (`more than 1000 files`). */
function limitIn(said: string): number | null {
  const match = /\d+/.exec(said);
  return match ? Number(match[0]) : null;
}

const ignoreHint = (trans: TranslationBundle) =>
  trans.__(
    'Leave out what the environment does not need (data, outputs, large files) with a .dockerignore or .gitignore file in the folder, then build again.'
  );

const versionsHint = (trans: TranslationBundle) =>
  trans.__(
    'JupyterLab’s extension and the repo2docker service may be of different versions: an administrator updates them together.'
  );

/** Words of a path the extension refuses to pack (`said` names it). */
function refusedPath(message: (said: string) => string, diagnosis: string) {
  return ({ said }: IFolderContext): Words => ({
    kind: 'invalid',
    message: message(said),
    diagnosis
  });
}

/**
 * Words of a folder over one of the service's limits: `withLimit` where the extension's message
 * names the limit, else `withoutLimit`.
 */
function overLimit(withLimit: (limit: number) => string, withoutLimit: string) {
  return ({ trans, said }: IFolderContext): Words => {
    const limit = limitIn(said);
    return {
      kind: 'too_large',
      message: limit !== null ? withLimit(limit) : withoutLimit,
      diagnosis: ignoreHint(trans)
    };
  };
}

/** Each code of the Jupyter server's folder extension (and the service's upload refusals). */
export function folderWords(code: string, c: IFolderContext): Words | null {
  const { trans, said } = c;
  switch (code) {
    case 'too_large':
      return overLimit(
        limit =>
          trans.__(
            'The folder is too large to build: it holds more than %1 to upload, the most this service takes.',
            formatBytes(limit, trans)
          ),
        trans.__('The folder is too large to build: %1', said)
      )(c);
    case 'too_many_files':
      return overLimit(
        limit =>
          trans.__(
            'The folder holds too many files to build: more than %1 files and folders, the most this service takes.',
            limit
          ),
        trans.__('The folder holds too many files to build: %1', said)
      )(c);
    case 'link_outside':
      return refusedPath(
        s => trans.__('A symbolic link in the folder leads outside it: %1', s),
        trans.__(
          'Only what is inside the folder can be built. Copy what the link points to into the folder, or leave the link out with .dockerignore.'
        )
      )(c);
    case 'unsupported_file':
      return refusedPath(
        s => trans.__('The folder holds something that is not a file: %1', s),
        trans.__(
          'Devices, fifos and sockets cannot be built: leave them out with .dockerignore.'
        )
      )(c);
    case 'bad_name':
      return refusedPath(
        s => trans.__('A name cannot be packed: %1', s),
        trans.__(
          'Rename it (names must be UTF-8 without control characters or backslashes), or leave it out with .dockerignore.'
        )
      )(c);
    case 'unreadable':
      return refusedPath(
        s => trans.__('A file in the folder cannot be read: %1', s),
        trans.__(
          'Make it readable, or leave it out with .dockerignore, then build again.'
        )
      )(c);
    case 'changed':
      return refusedPath(
        s => trans.__('The folder changed while it was being packed: %1', s),
        trans.__(
          'Wait until nothing writes into the folder (a running notebook or download), then build again.'
        )
      )(c);
    case 'not_found':
      return {
        kind: 'not_found',
        message: trans.__('The folder is gone: %1', said),
        diagnosis: trans.__(
          'Refresh the file browser and pick the folder again.'
        )
      };
    case 'not_a_folder':
      return refusedPath(
        () => trans.__('Only a folder can be built, not a file or a link.'),
        trans.__('Right-click a folder in the file browser.')
      )(c);
    case 'hidden_path':
    case 'outside_root':
    case 'bad_path':
      return refusedPath(
        () => trans.__('This folder cannot be built from JupyterLab: %1', said),
        trans.__(
          'Only folders inside JupyterLab’s root that are not hidden can be built.'
        )
      )(c);
    case 'no_root_dir':
      return {
        kind: 'unexpected',
        message: trans.__(
          'This Jupyter server does not keep its files on a disk, so a folder cannot be packed.'
        ),
        diagnosis: null
      };
    case 'uploads_unsupported':
      return {
        kind: 'unexpected',
        message: trans.__(
          'The repo2docker service does not take folders: it announces no upload limits.'
        ),
        diagnosis: trans.__(
          'Build from a repository instead, or ask an administrator to update the service.'
        )
      };
    case 'service_url_unknown':
    case 'bad_service_url':
      return {
        kind: 'unreachable',
        message: trans.__(
          'This Jupyter server does not know where the repo2docker service is.'
        ),
        diagnosis: trans.__(
          'An administrator sets c.Spawner.environment["REPO2DOCKER_SERVICE_URL"] in jupyterhub_config.py (e.g. http://127.0.0.1:10101/services/repo2docker/); then restart your server.'
        )
      };
    case 'service_unreachable':
    case 'service_error':
      return {
        kind: 'unreachable',
        message: trans.__(
          'This Jupyter server cannot reach the repo2docker service to upload the folder.'
        ),
        diagnosis: trans.__(
          'Try again in a minute; if it keeps failing, an administrator checks REPO2DOCKER_SERVICE_URL (c.Spawner.environment) and the service’s log.'
        )
      };
    case 'no_token':
      return {
        kind: 'unauthorized',
        message: trans.__(
          'This Jupyter server has no JupyterHub token of yours to upload the folder with.'
        ),
        diagnosis: trans.__('Reload JupyterLab and try again.')
      };
    case 'bad_member':
    case 'unsupported_member':
    case 'duplicate_member':
    case 'bad_archive':
    case 'digest_mismatch':
      return {
        kind: 'unexpected',
        message: trans.__('The service refused the packed folder: %1', said),
        diagnosis: versionsHint(trans)
      };
    case 'unknown_field':
    case 'bad_json':
    case 'bad_body':
    case 'body_too_large':
    case 'bad_force':
    case 'bad_display_name':
      return {
        kind: 'unexpected',
        message: trans.__('The folder build was asked wrongly: %1', said),
        diagnosis: versionsHint(trans)
      };
    default:
      return null;
  }
}
