/**
 * Validation of `POST /api/builds` bodies: SPEC's "Bad input" list, each refusal a 400 that
 * names the field. Values that pass are later given to git and repo2docker as argv, after the
 * options, so none of them can act as an option or reach a shell.
 */
import { isAbsolute } from 'node:path';
import type { BuildRequest } from '../api/contract.js';
import { invalidField } from '../api/errors.js';
import { isValidNameComponent } from './naming.js';

/** The fields a build request may have; anything else is refused. */
export const BUILD_REQUEST_FIELDS = [
  'repo',
  'ref',
  'name',
  'displayName',
  'push',
  'subdir',
  'force',
  'shared'
] as const satisfies readonly (keyof BuildRequest)[];

export interface ValidationOptions {
  allowLocalRepos: boolean;
}

/** A request that passed validation, with defaults filled in. */
export interface ValidBuildRequest {
  repo: string;
  ref: string;
  name: string | null;
  displayName: string | null;
  push: boolean | null;
  subdir: string | null;
  force: boolean;
  shared: boolean;
}

// C0, DEL and C1 (U+0080-U+009F: U+009B starts a terminal escape sequence).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const WHITESPACE = /\s/;
const MAX_URL_LENGTH = 2048;
const MAX_REF_BYTES = 255;
const MAX_DISPLAY_NAME = 256;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function requireString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw invalidField(field, `${field} must be a string`);
  }
  return value;
}

function requireBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'boolean') {
    throw invalidField(field, `${field} must be true or false`);
  }
  return value;
}

export function validateRepo(repo: string, options: ValidationOptions): string {
  if (repo.length === 0) {
    throw invalidField('repo', 'repo is required');
  }
  if (repo.startsWith('-')) {
    throw invalidField('repo', 'repo must not begin with "-"');
  }
  if (repo.length > MAX_URL_LENGTH) {
    throw invalidField('repo', `repo must be at most ${MAX_URL_LENGTH} characters`);
  }
  if (CONTROL.test(repo) || WHITESPACE.test(repo)) {
    throw invalidField('repo', 'repo must not contain whitespace or control characters');
  }
  const looksLocal = repo.startsWith('/') || repo.startsWith('file:') || repo.startsWith('.');
  if (looksLocal) {
    if (!options.allowLocalRepos) {
      throw invalidField('repo', 'local repositories are not allowed here; give an https:// URL');
    }
    if (repo.startsWith('file:')) {
      let path: string | null = null;
      try {
        const url = new URL(repo);
        path = url.host === '' ? decodeURIComponent(url.pathname) : null;
      } catch {
        path = null;
      }
      if (path === null || !isAbsolute(path)) {
        throw invalidField('repo', 'file:// URLs must name an absolute local path');
      }
    } else if (!isAbsolute(repo)) {
      throw invalidField('repo', 'local repositories must be absolute paths');
    }
    return repo;
  }
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    throw invalidField('repo', 'repo must be an https://, http:// or git:// URL');
  }
  if (!['https:', 'http:', 'git:'].includes(url.protocol)) {
    throw invalidField('repo', `repo must be an https://, http:// or git:// URL, not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalidField('repo', 'repo must not contain credentials; use a public URL');
  }
  if (url.hostname === '') {
    throw invalidField('repo', 'repo must name a host');
  }
  return repo;
}

export function validateRef(ref: string): string {
  if (ref.length === 0) {
    throw invalidField('ref', 'ref must not be empty; leave it out for the default branch');
  }
  if (ref.startsWith('-')) {
    throw invalidField('ref', 'ref must not begin with "-"');
  }
  if (Buffer.byteLength(ref, 'utf8') > MAX_REF_BYTES) {
    throw invalidField('ref', `ref must be at most ${MAX_REF_BYTES} bytes`);
  }
  if (CONTROL.test(ref) || WHITESPACE.test(ref)) {
    throw invalidField('ref', 'ref must not contain whitespace or control characters');
  }
  if (ref.includes('..')) {
    throw invalidField('ref', 'ref must not contain ".."');
  }
  // The rest of git's refname rules (git-check-ref-format), so git never sees a pattern.
  if (/[~^:?*[\\]|@\{/.test(ref) || ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock')) {
    throw invalidField('ref', 'ref is not a valid git ref name');
  }
  return ref;
}

export function validateName(name: string): string {
  if (!NAME.test(name) || !isValidNameComponent(name)) {
    throw invalidField(
      'name',
      'name must be 1-63 characters of a-z, 0-9, ".", "_" and "-", beginning and ending with a letter or digit, ' +
        'with no "." or "_" next to another separator'
    );
  }
  return name;
}

export function validateSubdir(subdir: string): string | null {
  if (isAbsolute(subdir)) {
    throw invalidField('subdir', 'subdir must be a path inside the repository, not an absolute path');
  }
  const trimmed = subdir.replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') {
    return null;
  }
  if (isAbsolute(trimmed) || trimmed.startsWith('\\')) {
    throw invalidField('subdir', 'subdir must be a path inside the repository, not an absolute path');
  }
  if (trimmed.split(/[\\/]/).includes('..')) {
    throw invalidField('subdir', 'subdir must not contain ".."');
  }
  if (trimmed.startsWith('-')) {
    throw invalidField('subdir', 'subdir must not begin with "-"');
  }
  if (CONTROL.test(trimmed) || Buffer.byteLength(trimmed, 'utf8') > 1024) {
    throw invalidField('subdir', 'subdir must be at most 1024 bytes without control characters');
  }
  return trimmed;
}

export function validateDisplayName(displayName: string): string | null {
  if (CONTROL.test(displayName)) {
    throw invalidField('displayName', 'displayName must not contain control characters');
  }
  if (displayName.length > MAX_DISPLAY_NAME) {
    throw invalidField('displayName', `displayName must be at most ${MAX_DISPLAY_NAME} characters`);
  }
  const trimmed = displayName.trim();
  return trimmed === '' ? null : trimmed;
}

/** Validate a parsed JSON body. Throws `ApiError` 400 naming the first field at fault. */
export function validateBuildRequest(body: unknown, options: ValidationOptions): ValidBuildRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidField('body', 'the request body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(BUILD_REQUEST_FIELDS as readonly string[]).includes(key)) {
      throw invalidField(key, `unknown field "${key}"; allowed: ${BUILD_REQUEST_FIELDS.join(', ')}`);
    }
  }
  const repo = requireString(record, 'repo');
  if (repo === undefined) {
    throw invalidField('repo', 'repo is required');
  }
  const ref = requireString(record, 'ref');
  const name = requireString(record, 'name');
  const displayName = requireString(record, 'displayName');
  const subdir = requireString(record, 'subdir');
  return {
    repo: validateRepo(repo, options),
    ref: ref === undefined ? 'HEAD' : validateRef(ref),
    name: name === undefined ? null : validateName(name),
    displayName: displayName === undefined ? null : validateDisplayName(displayName),
    push: requireBoolean(record, 'push') ?? null,
    subdir: subdir === undefined ? null : validateSubdir(subdir),
    force: requireBoolean(record, 'force') ?? false,
    shared: requireBoolean(record, 'shared') ?? false
  };
}
