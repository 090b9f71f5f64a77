/**
 * The name of the named server started from an image: readable, unique among the user's servers,
 * and one that JupyterHub 6 accepts for a new server (a "safe slug": 1-30 characters of
 * lowercase letters, digits and single hyphens, starting with a letter, ending with a letter or
 * digit; `jupyterhub/slugs.py`). The UI contract allows up to 40; the hub's 30 is the binding one.
 */

/** JupyterHub's longest name for a new server (`slugs._max_length`). */
export const MAX_SERVER_NAME = 30;

/** Length of the random suffix added when the plain name is taken. */
const SUFFIX_LENGTH = 4;

/** What a name is made of when the image gives nothing usable. */
const FALLBACK = 'env';

const VALID = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

/** Whether the hub accepts `name` for a new named server. */
export function isValidServerName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_SERVER_NAME && VALID.test(name);
}

/** Lowercase `[a-z0-9-]`, single hyphens, starting with a letter, at most `max` characters. */
export function slugify(text: string, max: number = MAX_SERVER_NAME): string {
  let slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(slug)) {
    // A name must start with a letter: `3d-model` becomes `env-3d-model`.
    slug = slug ? `${FALLBACK}-${slug}` : FALLBACK;
  }
  return slug.slice(0, max).replace(/-+$/, '');
}

/**
 * The readable part of an image name: the last path segment of its repository, without registry,
 * namespace or tag (`registry:5000/r2d-alice/analysis:0123abcd` → `analysis`), which is what
 * tells a user's servers apart (the namespace is theirs anyway).
 */
export function imageBaseName(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  return lastSegment.split(':')[0];
}

/** Random lowercase letters and digits (`random` returns numbers in [0, 1)). */
function randomSuffix(random: () => number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) {
    suffix +=
      alphabet[Math.floor(random() * alphabet.length) % alphabet.length];
  }
  return suffix;
}

/**
 * A server name for `image` that is not in `taken`: the slug of its base name, or, when that is
 * taken, the slug shortened to leave room for `-` and a short random suffix.
 */
export function serverNameFor(
  image: string,
  taken: Iterable<string>,
  random: () => number = Math.random
): string {
  const used = new Set(taken);
  const plain = slugify(imageBaseName(image));
  if (!used.has(plain)) {
    return plain;
  }
  const stem = slugify(plain, MAX_SERVER_NAME - SUFFIX_LENGTH - 1);
  // Random, not counted, so that two tabs starting the same image at once rarely collide; the
  // loop ends for any random source: after a few tries the suffix comes from a counter.
  for (let attempt = 0; ; attempt++) {
    const suffix =
      attempt < 20
        ? randomSuffix(random)
        : String(attempt).padStart(SUFFIX_LENGTH, '0');
    const name = `${stem}-${suffix}`;
    if (!used.has(name)) {
      return name;
    }
  }
}
