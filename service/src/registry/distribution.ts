/**
 * The pieces of the OCI distribution API (and Docker's registry v2 API, its ancestor) that the
 * registry adapter reads, as pure functions: authentication challenges, `Link` pagination,
 * manifests of both families, and image configs.
 */

export const MEDIA_TYPE = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList:
    'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed:
    'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json'
} as const;

/** What a manifest request accepts: both image manifest families, and the two list kinds (to skip them). */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPE.ociManifest,
  MEDIA_TYPE.dockerManifest,
  MEDIA_TYPE.ociIndex,
  MEDIA_TYPE.dockerManifestList
].join(', ');

export interface Challenge {
  /** Lower case: `basic`, `bearer`, … */
  scheme: string;
  /** Parameter names in lower case, values unquoted. */
  params: Record<string, string>;
}

/**
 * Parse a `WWW-Authenticate` header (RFC 9110 §11.6.1) into its challenges, e.g.
 * `Bearer realm="https://auth.example.org/token",service="registry",scope="repository:a/b:pull"`.
 * Quoted values may hold commas and escaped quotes; several challenges may share one header.
 */
export function parseWwwAuthenticate(
  header: string | null | undefined
): Challenge[] {
  if (!header) {
    return [];
  }
  const challenges: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i])) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    while (i < n && header[i] === ',') {
      i++;
      skipSpace();
    }
    const scheme = token();
    if (!scheme) {
      i++; // not a token character: skip it rather than loop
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    skipSpace();
    // Parameters: name=value pairs separated by commas, until the next challenge's scheme.
    for (;;) {
      const save = i;
      skipSpace();
      const name = token();
      skipSpace();
      if (!name || header[i] !== '=') {
        // The next challenge's scheme: leave it to the outer loop.
        i = save;
        break;
      }
      i++; // '='
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) {
            i++;
          }
          value += header[i];
          i++;
        }
        i++; // closing quote
      } else {
        const start = i;
        while (
          i < n &&
          header[i] !== ',' &&
          header[i] !== ' ' &&
          header[i] !== '\t'
        )
          i++;
        value = header.slice(start, i);
      }
      challenge.params[name.toLowerCase()] = value;
      skipSpace();
      if (header[i] === ',') {
        i++;
        continue;
      }
      break;
    }
  }
  return challenges;
}

/** The URL of the next page from a `Link: </v2/_catalog?last=x&n=100>; rel="next"` header, against `base`. */
export function nextPageUrl(
  link: string | null | undefined,
  base: string
): string | null {
  if (!link) {
    return null;
  }
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel="?next"?/i.test(match[2])) {
      return new URL(match[1], base).href;
    }
  }
  return null;
}

export type ParsedManifest =
  | {
      kind: 'image';
      mediaType: string;
      configDigest: string;
      layerBytes: number;
    }
  | { kind: 'index'; mediaType: string }
  | { kind: 'unsupported'; mediaType: string };

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * Read a manifest: an image manifest (Docker v2 schema 2 or OCI) gives its config digest; an
 * index or manifest list (multi-platform) is reported as such, to be skipped: this service
 * pushes single-platform images only. `contentType` is the response's header; the body's own
 * `mediaType` wins when present (OCI makes it optional).
 */
export function parseManifest(
  contentType: string | null,
  body: string
): ParsedManifest {
  const headerType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { kind: 'unsupported', mediaType: headerType || 'not JSON' };
  }
  if (typeof json !== 'object' || json === null) {
    return { kind: 'unsupported', mediaType: headerType };
  }
  const mediaType =
    typeof json.mediaType === 'string' ? json.mediaType : headerType;
  if (
    json.schemaVersion === 1 ||
    mediaType === MEDIA_TYPE.dockerSchema1 ||
    mediaType === MEDIA_TYPE.dockerSchema1Signed
  ) {
    return {
      kind: 'unsupported',
      mediaType: mediaType || MEDIA_TYPE.dockerSchema1
    };
  }
  if (
    mediaType === MEDIA_TYPE.ociIndex ||
    mediaType === MEDIA_TYPE.dockerManifestList ||
    Array.isArray(json.manifests)
  ) {
    return { kind: 'index', mediaType: mediaType || MEDIA_TYPE.ociIndex };
  }
  const config = json.config as { digest?: unknown } | undefined;
  if (
    (mediaType === MEDIA_TYPE.ociManifest ||
      mediaType === MEDIA_TYPE.dockerManifest ||
      mediaType === '') &&
    config &&
    typeof config.digest === 'string' &&
    DIGEST.test(config.digest)
  ) {
    const layers = Array.isArray(json.layers)
      ? (json.layers as { size?: unknown }[])
      : [];
    const layerBytes = layers.reduce(
      (sum, layer) => sum + (typeof layer?.size === 'number' ? layer.size : 0),
      0
    );
    return {
      kind: 'image',
      mediaType: mediaType || MEDIA_TYPE.ociManifest,
      configDigest: config.digest,
      layerBytes
    };
  }
  return { kind: 'unsupported', mediaType };
}

/** Is `digest` a well-formed content digest (`sha256:…`)? */
export function isDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

/** The labels of an image config blob (Docker's and OCI's both keep them in `config.Labels`). */
export function labelsOfConfig(body: string): Record<string, string> | null {
  let json: { config?: { Labels?: unknown } | null };
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  const labels = json?.config?.Labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return null;
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(
    labels as Record<string, unknown>
  )) {
    if (typeof value === 'string') {
      out[key] = value;
    }
  }
  return out;
}

/** The registry's error text from a JSON error body `{"errors":[{"code","message"}]}`, if any. */
export function registryErrors(
  body: string
): { code: string; message: string }[] {
  try {
    const json = JSON.parse(body) as {
      errors?: { code?: unknown; message?: unknown }[];
    };
    if (!Array.isArray(json.errors)) {
      return [];
    }
    return json.errors.map(error => ({
      code: typeof error.code === 'string' ? error.code : '',
      message: typeof error.message === 'string' ? error.message : ''
    }));
  } catch {
    return [];
  }
}

/**
 * An image config with `labels` set over its own (the others kept: ours that do not change,
 * repo2docker's, a base image's). The rest of the config, and so every layer, stays as it was.
 */
export function configWithLabels(
  body: string,
  labels: Record<string, string>
): string {
  const json = JSON.parse(body) as {
    config?: { Labels?: Record<string, string> | null } | null;
  };
  const config = json.config ?? {};
  json.config = { ...config, Labels: { ...(config.Labels ?? {}), ...labels } };
  return JSON.stringify(json);
}

/**
 * An image manifest pointing at another config blob, the same layers: the re-labelled image's.
 * Fields the service does not know (annotations, …) are kept.
 */
export function manifestWithConfig(
  body: string,
  digest: string,
  size: number
): string {
  const json = JSON.parse(body) as {
    config?: { digest?: string; size?: number };
  };
  if (!json.config || typeof json.config.digest !== 'string') {
    throw new Error('the manifest names no config blob');
  }
  json.config = { ...json.config, digest, size };
  return JSON.stringify(json);
}
