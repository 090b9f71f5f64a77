/**
 * Image names. The owner's namespace is part of every name and comes from the hub's identity,
 * never from the request, so nobody can name (and so replace) another user's image.
 *
 * Hub usernames may hold characters an image reference forbids (capitals, `@`, `_`, unicode).
 * They are escaped reversibly and without collisions: `[a-z0-9]` stay, every other UTF-8 byte
 * becomes `-` and two lowercase hex digits. The shared namespace is `-shared`, which no escaped
 * username can be: in those, a `-` is always followed by two hex digits, and `s` is not one.
 * A hub service (owner name `service/<name>`, see auth/jupyterhub.ts) gets `-service-` and its
 * escaped name: again a `-s` no username gives, and never `-shared` (the third letters differ).
 */

const SAFE = /^[a-z0-9]$/;
const HEX = '0123456789abcdef';

/** The namespace of images built with `shared: true`. */
export const SHARED_NAMESPACE = '-shared';
/** Owner names of hub services begin with this; hub user names cannot hold `/`. */
export const SERVICE_OWNER_PREFIX = 'service/';
const SERVICE_NAMESPACE_PREFIX = '-service-';

export function escapeOwner(username: string): string {
  if (username.length === 0) {
    throw new Error('empty username');
  }
  let out = '';
  for (const byte of Buffer.from(username, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += SAFE.test(char) ? char : `-${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** Inverse of `escapeOwner`; `null` for strings it cannot have produced. */
export function unescapeOwner(escaped: string): string | null {
  if (escaped === '') {
    return null;
  }
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const char = escaped[i];
    if (char === '-') {
      const hex = escaped.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) {
        return null;
      }
      const byte = parseInt(hex, 16);
      if (SAFE.test(String.fromCharCode(byte))) {
        return null; // would have been kept as is
      }
      bytes.push(byte);
      i += 2;
    } else if (SAFE.test(char)) {
      bytes.push(char.charCodeAt(0));
    } else {
      return null;
    }
  }
  const decoded = Buffer.from(bytes).toString('utf8');
  return escapeOwner(decoded) === escaped ? decoded : null;
}

export function namespaceFor(owner: string, shared: boolean): string {
  if (shared) {
    return SHARED_NAMESPACE;
  }
  if (owner.startsWith(SERVICE_OWNER_PREFIX)) {
    return (
      SERVICE_NAMESPACE_PREFIX +
      escapeOwner(owner.slice(SERVICE_OWNER_PREFIX.length))
    );
  }
  return escapeOwner(owner);
}

// Docker's reference grammar (distribution/reference): path components of lowercase
// alphanumerics joined by `.`, `_`, `__` or any run of `-`.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_REPOSITORY_LENGTH = 255;

/** Is `repository` (no tag) a valid image repository, optionally with a registry host first? */
export function isValidRepository(repository: string): boolean {
  if (repository.length === 0 || repository.length > MAX_REPOSITORY_LENGTH) {
    return false;
  }
  const parts = repository.split('/');
  // A first part with `.`, `:` or `localhost` is a registry host[:port], not a path component.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) {
    const hostPort = /^([^:]+)(?::([0-9]{1,5}))?$/.exec(parts[0]);
    const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
    if (!hostPort || !hostPort[1].split('.').every(part => label.test(part))) {
      return false;
    }
    parts.shift();
  }
  return parts.every(part => COMPONENT.test(part));
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/**
 * Split `repository[:tag]` at the tag's colon, which comes after the last `/` (a colon before it
 * is a registry's port); no tag means `latest`, as Docker reads it.
 */
export function splitImageReference(reference: string): {
  repository: string;
  tag: string;
} {
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/')
    ? { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) }
    : { repository: reference, tag: 'latest' };
}

/** Is `name` a valid single path component (the user-chosen part of an image name)? */
export function isValidNameComponent(name: string): boolean {
  return COMPONENT.test(name);
}

/**
 * Render the repository of an image from the template. `registryPrefix` (e.g.
 * `registry.example.org/jupyter/`) is put before it when images are pushed.
 */
export function renderRepository(
  template: string,
  namespace: string,
  name: string,
  registryPrefix = ''
): string {
  return (
    registryPrefix +
    template.replaceAll('{owner}', namespace).replaceAll('{name}', name)
  );
}

/**
 * Check once, at start, that a template gives valid names for every kind of owner (names that
 * begin with an escape, a hub service, the shared namespace), and that no two owners can ever
 * produce the same repository.
 *
 * The second needs `{owner}` to be the only placeholder in its path component. Namespaces and
 * names never hold `/`, so every rendered repository has the template's components in the
 * template's places; a component made of fixed text around `{owner}` alone (`r2d-{owner}`) is then
 * different for different owners, and so is the whole repository. Put `{name}` in the same
 * component and the split is lost: `r2d-{owner}-{name}` gives `r2d-a-2db-c` for owner "a" with name
 * "2db-c" and for owner "a-b" (namespace "a-2db") with name "c": escaped namespaces hold `-`.
 */
export function checkTemplate(template: string): void {
  const components = template.split('/');
  const ownerParts = components.filter(part => part.includes('{owner}'));
  if (
    ownerParts.length === 0 ||
    ownerParts.some(part => part.includes('{name}'))
  ) {
    throw new Error(
      `images.template "${template}" must keep {owner} in a path component of its own, without {name} ` +
        '(e.g. "r2d-{owner}/{name}"): otherwise two owners can produce the same image name'
    );
  }
  for (const owner of [
    'alice',
    'Alice',
    `${SERVICE_OWNER_PREFIX}ci-bot`,
    '-shared'
  ]) {
    const namespace =
      owner === '-shared' ? SHARED_NAMESPACE : namespaceFor(owner, false);
    const repository = renderRepository(template, namespace, 'name');
    if (!isValidRepository(repository)) {
      throw new Error(
        `images.template "${template}" gives the invalid image name "${repository}" for owner "${owner}"; ` +
          'put a fixed prefix before {owner} within its path component, e.g. "r2d-{owner}/{name}"'
      );
    }
  }
}

/** A default image name from a repository URL: its last path segment, made valid. */
export function nameFromRepo(repo: string): string {
  const path = repo.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const last = path.slice(path.lastIndexOf('/') + 1).replace(/\.git$/, '');
  const cleaned = last
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return cleaned.length > 0 ? cleaned : 'image';
}
