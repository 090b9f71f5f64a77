/**
 * What to tell the user when building from a folder fails, in plain words.
 *
 * The folder goes through this Jupyter server's extension (`POST {base_url}jupyterlab-repo2docker/
 * folder-build`), which answers with its own codes (the folder, the packing, how it reaches the
 * service: /work/coord/folder-design.md §6) or relays the service's refusal unchanged. Codes of
 * the extension get their words here; anything else is the service speaking, and gets the
 * panel's usual words (`errors.ts`).
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import {
  errorFromStatus,
  parseErrorBody,
  ServiceError,
  type ErrorReply
} from './errors';
import { folderWords } from './folderWords';

/** The words of an error body by its code, `null` when it is a service error (not ours). */
export function folderErrorFromBody(
  status: number,
  body: ErrorReply,
  where: string,
  trans: TranslationBundle
): ServiceError | null {
  // The extension's `bad_name` with field `name` is the image name the user gave: the
  // service's words for an invalid field fit it.
  if (body.code === 'bad_name' && body.field === 'name') {
    return null;
  }
  const words = folderWords(body.code, { trans, said: body.message });
  return words
    ? new ServiceError({
        ...words,
        status,
        code: body.code,
        field: body.field ?? null,
        serviceUrl: where
      })
    : null;
}

/**
 * The `ServiceError` of a refused folder build: the extension's codes in its words, the
 * service's relayed refusals (missing scope, too many builds, …) in the panel's words.
 */
export function folderError(
  status: number,
  text: string,
  where: string,
  trans: TranslationBundle,
  serviceName?: string
): ServiceError {
  const body = parseErrorBody(text);
  if (body) {
    const mine = folderErrorFromBody(status, body, where, trans);
    if (mine) {
      return mine;
    }
  } else if (status === 404) {
    // No JSON 404: the route is missing, so the server extension is not enabled.
    return new ServiceError({
      kind: 'unexpected',
      status,
      message: trans.__(
        'This Jupyter server cannot build from folders: its jupyterlab_repo2docker server extension is not enabled.'
      ),
      diagnosis: trans.__(
        'An administrator installs jupyterlab-repo2docker into the environment the Jupyter server runs in (it enables jupyterlab_repo2docker.server_extension), then restarts the server.'
      ),
      serviceUrl: where
    });
  }
  return errorFromStatus(status, body, where, trans, serviceName);
}
