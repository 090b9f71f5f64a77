/**
 * Validation of `POST /api/builds` bodies: SPEC's "Bad input" list, each refusal a 400 that
 * names the field. Values that pass are later given to git and repo2docker as argv, after the
 * options, so none of them can act as an option or reach a shell.
 */
import { isAbsolute, normalize } from 'node:path';
import {
  BUILD_ARG_LIMITS,
  type BuildRequest,
  type GitCredentials
} from '../api/contract.js';
import { invalidField } from '../api/errors.js';
import { credentialsProblem } from '../backends/git-credentials.js';
import { isValidNameComponent } from '../images/naming.js';

/** The fields a build request may have; anything else is refused. */
export const BUILD_REQUEST_FIELDS = [
  'repo',
  'ref',
  'name',
  'displayName',
  'push',
  'subdir',
  'force',
  'shared',
  'credentials',
  'buildArgs'
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
  /** For this build only; never stored on the build record (see manager.ts). */
  credentials: GitCredentials | null;
  /** Sorted by name; `{}` when none. */
  buildArgs: Record<string, string>;
}

// C0, DEL and C1 (U+0080-U+009F: U+009B starts a terminal escape sequence).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const WHITESPACE = /\s/;
const MAX_URL_LENGTH = 2048;
const MAX_REF_BYTES = 255;
const MAX_DISPLAY_NAME = 256;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function requireString(
  body: Record<string, unknown>,
  field: string
): string | undefined {
  const value = body[field];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw invalidField(field, `${field} must be a string`);
  }
  return value;
}

function requireBoolean(
  body: Record<string, unknown>,
  field: string
): boolean | undefined {
  const value = body[field];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'boolean') {
    throw invalidField(field, `${field} must be true or false`);
  }
  return value;
}

const NETWORK_SCHEMES = ['https', 'http', 'git'];
// `scheme://authority` then the rest (path, query): the only shape accepted. git reads anything
// else (`host:path`, `http:evil.example/x`) as scp-like ssh syntax or a local path.
const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/;
// A DNS name of ASCII labels, a dotted-quad IPv4 address, or a bracketed IPv6 address.
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DOTTED_QUAD =
  /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DEFAULT_PORTS: Record<string, string> = {
  https: '443',
  http: '80',
  git: '9418'
};

function urlHint(options: ValidationOptions): string {
  const local = options.allowLocalRepos
    ? ' (or a local repository as file:///absolute/path)'
    : '';
  return `give the repository's https:// URL, e.g. https://github.com/owner/repo${local}`;
}

/** A local repository (admin-allowed): `file:///absolute/path` or an absolute path, as given. */
function validateLocalRepo(repo: string, options: ValidationOptions): string {
  if (!options.allowLocalRepos) {
    throw invalidField(
      'repo',
      `local repositories are not allowed here; ${urlHint(options)}`
    );
  }
  let path: string;
  if (repo.startsWith('file:')) {
    let url: URL | null = null;
    try {
      url = new URL(repo);
    } catch {
      url = null;
    }
    // Exactly `file:///path`: no host, and nothing WHATWG parsing would rewrite.
    if (
      !url ||
      url.href !== repo ||
      url.host !== '' ||
      url.search !== '' ||
      url.hash !== '' ||
      !repo.startsWith('file:///')
    ) {
      throw invalidField(
        'repo',
        'file:// URLs must be exactly file:///absolute/path, e.g. file:///srv/repos/project'
      );
    }
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw invalidField(
        'repo',
        'the file:// URL is not validly percent-encoded'
      );
    }
  } else {
    path = repo;
  }
  if (!isAbsolute(path)) {
    throw invalidField(
      'repo',
      'local repositories must be absolute paths, e.g. file:///srv/repos/project'
    );
  }
  if (normalize(path).replace(/\/+$/, '') !== path.replace(/\/+$/, '')) {
    throw invalidField(
      'repo',
      'local repository paths must be normalised (no "..", "." or "//" in them)'
    );
  }
  return repo;
}

/**
 * A repository URL: exactly `scheme://host[:port]/path` of https, http or git, nothing that
 * WHATWG URL parsing reads differently from how it is written (git and curl would read such a
 * string their own way), no credentials, no fragment. Returns the canonical form (WHATWG's
 * `url.href`: scheme and host in lowercase, a default port dropped, 9418 for git:// too), which
 * is what git gets and what the image's labels record.
 */
export function validateRepo(repo: string, options: ValidationOptions): string {
  if (repo.length === 0) {
    throw invalidField('repo', 'repo is required');
  }
  if (repo.startsWith('-')) {
    throw invalidField('repo', 'repo must not begin with "-"');
  }
  if (repo.length > MAX_URL_LENGTH) {
    throw invalidField(
      'repo',
      `repo must be at most ${MAX_URL_LENGTH} characters`
    );
  }
  if (CONTROL.test(repo) || WHITESPACE.test(repo)) {
    throw invalidField(
      'repo',
      'repo must not contain whitespace or control characters'
    );
  }
  if (/^file:/i.test(repo) || repo.startsWith('/') || repo.startsWith('.')) {
    return validateLocalRepo(repo, options);
  }
  const shape = URL_SHAPE.exec(repo);
  if (!shape) {
    if (repo.includes('#')) {
      throw invalidField(
        'repo',
        `repo must not have a #fragment; ${urlHint(options)}`
      );
    }
    throw invalidField(
      'repo',
      `repo must be a URL of the form scheme://host/path (scp-like host:path and other short forms are not accepted); ${urlHint(options)}`
    );
  }
  const [, rawScheme, authority, rest] = shape;
  const scheme = rawScheme.toLowerCase();
  if (!NETWORK_SCHEMES.includes(scheme)) {
    throw invalidField(
      'repo',
      `repo must be an https://, http:// or git:// URL, not ${scheme}://; ${urlHint(options)}`
    );
  }
  if (authority.includes('@')) {
    throw invalidField(
      'repo',
      'repo must not contain credentials or a user name; use the public URL'
    );
  }
  if (authority === '') {
    throw invalidField(
      'repo',
      `repo must name a host after ${scheme}://; ${urlHint(options)}`
    );
  }
  // Characters that mean something to the Dockerfile repo2docker writes the URL into (in a label).
  if (/["\\$`]/.test(repo)) {
    throw invalidField('repo', 'repo must not contain ", \\, $ or `');
  }
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    throw invalidField('repo', `repo is not a valid URL; ${urlHint(options)}`);
  }
  const hostname = url.hostname.toLowerCase();
  const bracketed = hostname.startsWith('[') && hostname.endsWith(']');
  if (!bracketed && !HOST_NAME.test(hostname)) {
    throw invalidField(
      'repo',
      `the host "${url.hostname}" is not a plain host name or address (give non-ASCII names in punycode)`
    );
  }
  // All-numeric names (`2130706433`, `0x7f.1`, `127.1`) mean an address to some resolvers: only
  // the dotted-quad form is taken, so the host policy judges what git will reach.
  if (!bracketed && /^[0-9.]+$/.test(hostname) && !DOTTED_QUAD.test(hostname)) {
    throw invalidField(
      'repo',
      `the host "${url.hostname}" is not a valid IPv4 address; write it as four decimal numbers`
    );
  }
  // WHATWG drops the default port of http and https; git:// is not special to it, so drop 9418 here.
  const port =
    url.port === '' || url.port === DEFAULT_PORTS[scheme] ? '' : `:${url.port}`;
  const canonicalAuthority = `${hostname}${port}`;
  const givenAuthority = authority
    .toLowerCase()
    .replace(new RegExp(`:${DEFAULT_PORTS[scheme]}$`), '');
  const path = url.pathname + url.search;
  if (
    givenAuthority !== canonicalAuthority ||
    (rest === '' ? '/' : rest) !== path
  ) {
    throw invalidField(
      'repo',
      `repo is not written in its plain form (it reads as ${scheme}://${canonicalAuthority}${path}); ${urlHint(options)}`
    );
  }
  if (url.pathname === '/') {
    throw invalidField(
      'repo',
      `repo must name a repository path on ${hostname}, e.g. https://github.com/owner/repo`
    );
  }
  return `${scheme}://${canonicalAuthority}${path}`;
}

export function validateRef(ref: string): string {
  if (ref.length === 0) {
    throw invalidField(
      'ref',
      'ref must not be empty; leave it out for the default branch'
    );
  }
  if (ref.startsWith('-')) {
    throw invalidField('ref', 'ref must not begin with "-"');
  }
  if (Buffer.byteLength(ref, 'utf8') > MAX_REF_BYTES) {
    throw invalidField('ref', `ref must be at most ${MAX_REF_BYTES} bytes`);
  }
  if (CONTROL.test(ref) || WHITESPACE.test(ref)) {
    throw invalidField(
      'ref',
      'ref must not contain whitespace or control characters'
    );
  }
  if (ref.includes('..')) {
    throw invalidField('ref', 'ref must not contain ".."');
  }
  // The rest of git's refname rules (git-check-ref-format), so git never sees a pattern.
  if (
    /[~^:?*[\\]|@\{/.test(ref) ||
    ref.endsWith('/') ||
    ref.endsWith('.') ||
    ref.endsWith('.lock')
  ) {
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

// repo2docker writes subdir and displayName into its generated Dockerfile as `LABEL key="value"`
// without escaping: a quote ends the value (and can start a label of ours, forging an owner), a
// backslash escapes, `$` and backticks expand, a newline starts a new instruction.
const DOCKERFILE_SPECIAL = /["\\$`\u2028\u2029]/;

function refuseDockerfileSpecials(field: string, value: string): void {
  if (CONTROL.test(value) || DOCKERFILE_SPECIAL.test(value)) {
    throw invalidField(
      field,
      `${field} must not contain ", \\, $, \`, newlines or control characters`
    );
  }
}

export function validateSubdir(subdir: string): string | null {
  refuseDockerfileSpecials('subdir', subdir);
  if (isAbsolute(subdir)) {
    throw invalidField(
      'subdir',
      'subdir must be a path inside the repository, not an absolute path'
    );
  }
  const trimmed = subdir.replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') {
    return null;
  }
  if (trimmed.split('/').includes('..')) {
    throw invalidField('subdir', 'subdir must not contain ".."');
  }
  if (trimmed.startsWith('-')) {
    throw invalidField('subdir', 'subdir must not begin with "-"');
  }
  if (Buffer.byteLength(trimmed, 'utf8') > 1024) {
    throw invalidField('subdir', 'subdir must be at most 1024 bytes');
  }
  return trimmed;
}

export function validateDisplayName(displayName: string): string | null {
  refuseDockerfileSpecials('displayName', displayName);
  if (displayName.length > MAX_DISPLAY_NAME) {
    throw invalidField(
      'displayName',
      `displayName must be at most ${MAX_DISPLAY_NAME} characters`
    );
  }
  const trimmed = displayName.trim();
  return trimmed === '' ? null : trimmed;
}

const BUILD_ARG_NAME = new RegExp(BUILD_ARG_LIMITS.name);
// repo2docker sets these itself (the user the image runs as, where the repository goes): a
// request must not move them. BUILDKIT_* steer BuildKit (BUILDKIT_SYNTAX picks a frontend image).
const RESERVED_BUILD_ARGS = new Set(['NB_USER', 'NB_UID', 'REPO_DIR']);

/**
 * `{NAME: value}` as SPEC's bad-input rules ask: an object of strings, names of a shell variable's
 * form, values without control characters (a tab is allowed; a newline is not: it would start a
 * new line in the build's log and in `docker history`). Returned sorted by name, so equal maps
 * compare (and digest) equal.
 */
export function validateBuildArgs(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidField(
      'buildArgs',
      'buildArgs must be an object of NAME: "value" strings'
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > BUILD_ARG_LIMITS.maxCount) {
    throw invalidField(
      'buildArgs',
      `buildArgs takes at most ${BUILD_ARG_LIMITS.maxCount} arguments`
    );
  }
  const out: Record<string, string> = {};
  for (const [name, text] of entries.sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0
  )) {
    const field = `buildArgs.${name}`;
    if (!BUILD_ARG_NAME.test(name) || name.length > 128) {
      // A name with control characters is not echoed back in the field.
      throw invalidField(
        CONTROL.test(name) || name.length > 128 ? 'buildArgs' : field,
        'build argument names are letters, digits and "_", not beginning with a digit (at most 128)'
      );
    }
    if (RESERVED_BUILD_ARGS.has(name) || name.startsWith('BUILDKIT_')) {
      throw invalidField(
        field,
        `${name} is set by repo2docker or BuildKit and cannot be given`
      );
    }
    if (typeof text !== 'string') {
      throw invalidField(field, `${field} must be a string`);
    }
    if (Buffer.byteLength(text, 'utf8') > BUILD_ARG_LIMITS.maxValueBytes) {
      throw invalidField(
        field,
        `${field} must be at most ${BUILD_ARG_LIMITS.maxValueBytes} bytes`
      );
    }
    if (/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) {
      throw invalidField(
        field,
        `${field} must not contain newlines or control characters`
      );
    }
    out[name] = text;
  }
  return out;
}

function validateCredentials(repo: string, value: unknown): GitCredentials {
  const problem = credentialsProblem(repo, value);
  if (problem) {
    throw invalidField(problem.field, problem.message);
  }
  const { username, password } = value as GitCredentials;
  return { username, password };
}

/** Validate a parsed JSON body. Throws `ApiError` 400 naming the first field at fault. */
export function validateBuildRequest(
  body: unknown,
  options: ValidationOptions
): ValidBuildRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidField('body', 'the request body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(BUILD_REQUEST_FIELDS as readonly string[]).includes(key)) {
      throw invalidField(
        key,
        `unknown field "${key}"; allowed: ${BUILD_REQUEST_FIELDS.join(', ')}`
      );
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
  const validRepo = validateRepo(repo, options);
  return {
    repo: validRepo,
    ref: ref === undefined ? 'HEAD' : validateRef(ref),
    name: name === undefined ? null : validateName(name),
    displayName:
      displayName === undefined ? null : validateDisplayName(displayName),
    push: requireBoolean(record, 'push') ?? null,
    subdir: subdir === undefined ? null : validateSubdir(subdir),
    force: requireBoolean(record, 'force') ?? false,
    shared: requireBoolean(record, 'shared') ?? false,
    credentials:
      record.credentials === undefined
        ? null
        : validateCredentials(validRepo, record.credentials),
    buildArgs:
      record.buildArgs === undefined ? {} : validateBuildArgs(record.buildArgs)
  };
}
