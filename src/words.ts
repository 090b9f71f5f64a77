/**
 * Words a notebook user understands: the service's messages about form fields rephrased with
 * the field's label and what to do, a failure's one-line summary, and the names of the fields.
 *
 * The service's messages are precise but written for the API (`name must be 1-63 characters of
 * a-z…`); the form rewrites the ones it knows, by field and shape, and keeps any other message
 * with its field name replaced by the label the user sees.
 */

import type {
  BuildProgress,
  Info
} from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';

/** The form fields, as the service names them in a 400's `field`. */
export type FormField =
  'repo' | 'ref' | 'name' | 'subdir' | 'push' | 'force' | 'shared';

/** The label the form shows for a field. */
export function fieldLabel(field: string, trans: TranslationBundle): string {
  switch (field) {
    case 'repo':
      return trans.__('Repository URL');
    case 'ref':
      return trans.__('Branch, tag or commit');
    case 'name':
      return trans.__('Image name');
    case 'subdir':
      return trans.__('Subdirectory');
    case 'push':
      return trans.__('Push');
    case 'force':
      return trans.__('Rebuild even if built');
    case 'shared':
      return trans.__('Shared image');
    case 'displayName':
      return trans.__('Display name');
    default:
      return field;
  }
}

/** The URL schemes the service accepts, in words (with `file://` when the admin allows it). */
export function schemesInWords(
  info: Info | null,
  trans: TranslationBundle
): string {
  return info?.limits.allowLocalRepos
    ? trans.__(
        'https://, http://, git:// or, for a folder on this machine, file:///absolute/path'
      )
    : trans.__('https://, http:// or git://');
}

/**
 * The service's message about `field`, in plain words that say how to fix it. Messages this
 * does not know keep their text, with the field's API name replaced by its label.
 */
export function friendlyFieldMessage(
  field: string,
  message: string,
  info: Info | null,
  trans: TranslationBundle
): string {
  const text = message.trim();
  switch (field) {
    case 'repo': {
      if (/is required/.test(text)) {
        return trans.__('Enter the URL of a repository.');
      }
      if (/local repositories are not allowed/.test(text)) {
        return trans.__(
          'Folders on this machine cannot be built here. Enter the repository’s web address, e.g. https://github.com/owner/repository.'
        );
      }
      if (
        /must be an? .*URL|scheme:\/\/host|not a valid URL|must name a host|begin with "-"/.test(
          text
        )
      ) {
        return trans.__(
          'Enter the repository’s address beginning with %1, e.g. https://github.com/owner/repository.',
          schemesInWords(info, trans)
        );
      }
      if (/credentials|user name/.test(text)) {
        return trans.__(
          'Remove the user name or password from the URL: give the repository’s public address.'
        );
      }
      if (/cannot read repository/.test(text)) {
        const detail = text.replace(/^.*?cannot read repository [^:]*:\s*/, '');
        return (
          trans.__(
            'The repository could not be read: check the URL, and that the repository exists and is public.'
          ) + (detail && detail !== text ? ` (${detail})` : '')
        );
      }
      break;
    }
    case 'ref': {
      const notFound = /^ref "(.*)" was not found/.exec(text);
      if (notFound) {
        const abbreviated = /abbreviated commits/.test(text);
        return abbreviated
          ? trans.__(
              'No branch or tag "%1" in this repository. To build a commit, give all 40 characters of its id; or leave the field empty to build the default branch.',
              notFound[1]
            )
          : trans.__(
              'No branch, tag or commit "%1" in this repository: check its spelling, or leave the field empty to build the default branch.',
              notFound[1]
            );
      }
      if (/must not be empty/.test(text)) {
        return trans.__('Leave the field empty to build the default branch.');
      }
      if (/valid git ref|whitespace|".."|begin with "-"/.test(text)) {
        return trans.__(
          'This is not a branch, tag or commit name: use the name as git shows it, e.g. main or v1.0, without spaces.'
        );
      }
      break;
    }
    case 'name': {
      if (/too long or invalid/.test(text)) {
        return trans.__(
          'This name makes the image’s full name too long: choose a shorter one.'
        );
      }
      if (/must be|not a valid image name/.test(text)) {
        return trans.__(
          'Use lowercase letters, digits and single ".", "_" or "-" between them (at most 63), e.g. my-analysis; or leave it empty to take the repository’s name.'
        );
      }
      break;
    }
    case 'subdir': {
      if (/absolute path|".."|begin with "-"/.test(text)) {
        return trans.__(
          'Give a folder inside the repository, relative to its top, e.g. binder or docs/env.'
        );
      }
      break;
    }
    case 'push':
      if (/no registry/.test(text)) {
        return trans.__(
          'This service has no registry to push to: untick "Push".'
        );
      }
      break;
    default:
      break;
  }
  // Unknown shape: keep the service's words, with the field's label instead of its API name.
  const label = fieldLabel(field, trans);
  const replaced = text.replace(new RegExp(`^${field}\\b`), label);
  return replaced.charAt(0).toUpperCase() + replaced.slice(1);
}

/** The longest summary of a failure the panel and notifications show. */
const MAX_SUMMARY = 240;

/**
 * One line that says why a build failed, from its `error`: the first non-empty line, without
 * the command line of a Python `CalledProcessError` (older services sent those whole).
 */
export function errorSummary(error: string, trans: TranslationBundle): string {
  const first =
    error
      .split('\n')
      .map(line => line.trim())
      .find(line => line !== '') ?? '';
  let line = first.replace(/\s+/g, ' ');
  const called = /Command '\[.*\]' returned non-zero exit status (\d+)/.exec(
    line
  );
  if (called) {
    const before = line.slice(0, called.index).trim();
    const said = trans.__(
      'the image build command exited with status %1',
      called[1]
    );
    line = before ? `${before} ${said}` : said;
  }
  return line.length > MAX_SUMMARY
    ? `${line.slice(0, MAX_SUMMARY - 1)}…`
    : line;
}

/**
 * Steps finished, of a build's progress: the service reports the step being run (BuildKit's
 * `[3/3]`), which is not done until the next one starts or the build is built.
 */
export function finishedSteps(progress: BuildProgress, built: boolean): number {
  if (built) {
    return progress.total;
  }
  return Math.max(0, Math.min(progress.total, progress.current - 1));
}
