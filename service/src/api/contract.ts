/**
 * The REST API's contract: every shape that crosses the wire, typed once, and the values the
 * shapes are made of (phases, error codes, event names), listed once.
 *
 * The service, its page and the JupyterLab extension import it, so they cannot drift.
 * `service/openapi.yaml` describes the same for other clients; test/unit/openapi.test.ts checks
 * it against these values. The file imports nothing, so any TypeScript build can compile it.
 */

/** Where a build is in its life, in order. The last three are final. */
export const BUILD_PHASES = [
  'queued',
  'fetching',
  'building',
  'pushing',
  'built',
  'failed',
  'cancelled'
] as const;
export type BuildPhase = (typeof BUILD_PHASES)[number];

/** Phases a build never leaves; the log stream ends with one. */
export const FINAL_PHASES = [
  'built',
  'failed',
  'cancelled'
] as const satisfies readonly BuildPhase[];
export type FinalPhase = (typeof FINAL_PHASES)[number];

export function isFinalPhase(phase: BuildPhase): phase is FinalPhase {
  return (FINAL_PHASES as readonly BuildPhase[]).includes(phase);
}

/** Every `error.code` the API answers with, and its HTTP status. */
export const ERROR_CODES = {
  invalid_body: 400,
  invalid_field: 400,
  oauth_code: 400,
  oauth_denied: 400,
  oauth_state: 400,
  // Folder uploads (POST /api/builds/upload): the archive broke one of folder-design.md's rules.
  bad_archive: 400,
  bad_member: 400,
  digest_mismatch: 400,
  duplicate_member: 400,
  link_outside: 400,
  unsupported_member: 400,
  unauthenticated: 401,
  forbidden: 403,
  missing_scope: 403,
  xsrf: 403,
  not_found: 404,
  method_not_allowed: 405,
  image_in_use: 409,
  not_relabelable: 409,
  registry_delete_unsupported: 409,
  log_expired: 410,
  length_required: 411,
  too_large: 413,
  too_many_files: 413,
  unsupported_media_type: 415,
  too_many_builds: 429,
  too_many_failures: 429,
  too_many_streams: 429,
  internal: 500,
  uploads_unsupported: 501,
  registry_error: 502,
  registry_unauthorized: 502,
  registry_unreachable: 502,
  oauth_reply: 502,
  docker_unreachable: 503,
  hub_unreachable: 503,
  service_stopping: 503
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** SSE event names of `GET /api/builds/{id}/logs`. */
export const LOG_STREAM_EVENTS = {
  log: 'log',
  serviceStopping: 'service_stopping'
} as const;

/** `POST /api/builds` body. Unknown fields are refused with 400. */
export interface BuildRequest {
  /** https://, http:// or git:// URL (local paths only when the admin allows them). */
  repo: string;
  /** Branch, tag or commit; default `HEAD`. Resolved to a commit before building. */
  ref?: string;
  /** Image name within the caller's namespace, `[a-z0-9][a-z0-9._-]{0,62}`; default from the URL. */
  name?: string;
  /** Free text shown in the UI instead of the name. */
  displayName?: string;
  /**
   * Push to the configured registry after building (default: the registry's `pushByDefault`).
   * An image that exists already but is not in the registry is pushed without a rebuild.
   */
  push?: boolean;
  /** Build from this directory of the repository. */
  subdir?: string;
  /** Rebuild even if an image for this repository and commit exists. */
  force?: boolean;
  /** Build into the shared namespace that every user sees (admin scope only). */
  shared?: boolean;
  /**
   * A username and token for a private repository (https://, or http:// to a loopback host).
   * Kept in memory for this build only and given to git through a credential helper: never in
   * an answer, a label, a log line or the image. The image is then private to its owner
   * (until the owner shares it).
   */
  credentials?: GitCredentials;
  /**
   * Docker build arguments for a Dockerfile repository: at most 32, names `[A-Za-z_][A-Za-z0-9_]*`,
   * values at most 4 KiB without control characters. The values stay readable in the image's
   * history. Part of what "already built" compares.
   */
  buildArgs?: Record<string, string>;
}

export interface GitCredentials {
  username: string;
  /** A password or access token. */
  password: string;
}

/** Limits of `BuildRequest.buildArgs`. */
export const BUILD_ARG_LIMITS = {
  maxCount: 32,
  maxValueBytes: 4096,
  name: '^[A-Za-z_][A-Za-z0-9_]*$'
} as const;

/** Progress reported by the build tool, where it reports any. */
export interface BuildProgress {
  /** Step being run, 1-based (BuildKit's `[2/5]`). */
  current: number;
  /** Number of steps known so far. */
  total: number;
}

/** A build as the API shows it. */
export interface Build {
  id: string;
  /** Hub user whose namespace the image is in (for shared builds: the admin who asked). */
  owner: string;
  /** Built into the shared namespace. */
  shared: boolean;
  repo: string;
  /** The ref as asked for. */
  ref: string;
  /** The commit the ref resolved to. */
  commit: string;
  subdir: string | null;
  /** Short image name (the `name` of the request, or the one derived from the URL). */
  name: string;
  displayName: string;
  /** Full image reference `name:tag` that the build produces. */
  image: string;
  /** Whether the build pushes (or pushed) the image to the registry. */
  push: boolean;
  phase: BuildPhase;
  /** Last progress seen, if the tool reports any. */
  progress: BuildProgress | null;
  /** Why a build failed or was cancelled; `null` otherwise. */
  error: string | null;
  /** True when the answer came from an existing image and nothing was built. */
  alreadyBuilt: boolean;
  /** 1-based position among queued builds, while queued. */
  queuePosition: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Whether the log of this build is still kept in memory. */
  logAvailable: boolean;
  /** Built with credentials: the image is its owner's only (never answered "already built" to others). */
  private: boolean;
  /** The build arguments given (names and values); `{}` when none. */
  buildArgs: Record<string, string>;
  /** Built from an uploaded folder (then `repo`, `ref` and `commit` are `""`); `null` otherwise. */
  folder: FolderSource | null;
}

/**
 * Where a folder build came from: `POST /api/builds/upload` (folder-design.md). The image tag
 * is the digest's hex; "already built" compares the digest.
 */
export interface FolderSource {
  /** The folder's path relative to the user's Jupyter root (`""` for the root); provenance only. */
  path: string;
  /** `sha256:<64 hex>` of the folder's content, as the service computed it (folder-design.md §4). */
  digest: string;
}

export interface BuildList {
  builds: Build[];
}

/**
 * One event of `GET /api/builds/{id}/logs` (the `data` of an SSE event whose `id` is `seq`).
 * Sequence numbers start at 1 and grow by one per event within a build.
 */
export interface BuildLogEvent {
  seq: number;
  phase: BuildPhase;
  /** One or more lines of text (no trailing newline). May contain ANSI colour codes. */
  message: string;
  progress?: BuildProgress;
  /** ISO 8601 time the service received the line. */
  time: string;
}

/**
 * SSE event name of every log event. The stream of a build ends with one event whose phase is
 * final (`built`, `failed` or `cancelled`), after which the service closes it.
 */
export type BuildLogEventName = typeof LOG_STREAM_EVENTS.log;

/**
 * SSE event name of the last event of a stream cut short because the service is stopping
 * (SIGTERM/SIGINT). It has no `id` (resuming goes on after the last `log` event); its `data` is a
 * `ServiceStoppingEvent`. The service closes the stream right after it. Builds under way when the
 * service stops are cancelled: their log usually ends with a `cancelled` event first. A client
 * that only listens to `log` events sees the stream end, as on any lost connection.
 */
export type ServiceStoppingEventName = typeof LOG_STREAM_EVENTS.serviceStopping;

export interface ServiceStoppingEvent {
  /** Plain words for the user, e.g. "the service is stopping; this build was cancelled". */
  message: string;
  /** ISO 8601 time the service began stopping. */
  time: string;
  /** Sequence number of the build's last log event when the service stopped. */
  lastSeq: number;
}

/**
 * Where an image lives. An image built here whose push failed (or was not asked for) has
 * `engine: true, registry: false`: it is not pushed.
 */
export interface ImageLocation {
  /** In the Docker engine the service builds with. */
  engine: boolean;
  /** In the configured registry (the same build as in the engine, when both). */
  registry: boolean;
}

export interface Image {
  /** Full reference `repository:tag`, as `docker run` takes it. */
  name: string;
  repository: string;
  tag: string;
  owner: string;
  shared: boolean;
  repo: string;
  ref: string;
  commit: string;
  subdir: string | null;
  displayName: string;
  buildId: string;
  builtAt: string;
  /**
   * Built from a private repository (with credentials): its owner's only unless the owner shares
   * it, and never answered "already built" to anyone else.
   */
  private: boolean;
  /** Names of the build arguments it was built with (the values are only in its history). */
  buildArgs: string[];
  /** `sha256:` of the sorted build arguments, names and values; `""` when built without any. */
  buildArgsDigest: string;
  /** Built from an uploaded folder (then `repo`, `ref` and `commit` are `""`); `null` otherwise. */
  folder: FolderSource | null;
  /** Bytes, as the engine reports them; `null` when only the registry has it. */
  size: number | null;
  location: ImageLocation;
  /** Who besides its owner (and admins) may see and start it; travels as labels on the image. */
  sharing: Sharing;
}

/** Who may see and start an image: only its owner, some of the owner's hub groups, or everyone. */
export const SHARING_VISIBILITIES = ['owner', 'groups', 'everyone'] as const;
export type SharingVisibility = (typeof SHARING_VISIBILITIES)[number];

export interface Sharing {
  visibility: SharingVisibility;
  /** Hub groups it is shared with; empty unless `visibility` is `groups`. */
  groups: string[];
}

/**
 * `PUT /api/images/{name}/sharing` body; answers 200 with the updated `Image`. Owner or admin
 * only (403; 404 for an image the caller may not see). `groups` must be groups the owner belongs
 * to (400 naming `groups`). Re-labels the image without rebuilding its layers: its image ID
 * changes, its name does not.
 */
export type SharingRequest = Sharing;

export interface ImageList {
  images: Image[];
  /** What could not be read, in plain words (e.g. the registry does not answer); absent when all went well. */
  warnings?: string[];
}

/**
 * `GET /api/images` with `limit`, `offset` or `q`: one page of the list (newest first) and how
 * many images matched in all, so that a client shows a page and pages on. `owner` and the other
 * filters narrow `total` too. Each page has its own ETag. Without any of the three keys the
 * answer is a plain `ImageList` (the whole list).
 */
export interface PagedImageList extends ImageList {
  /** How many images matched the filters and `q`, over all pages. */
  total: number;
  offset: number;
  /** As asked; `null` when only `offset` or `q` was given (the rest of the list). */
  limit: number | null;
}

/**
 * `DELETE /api/images/{name}` answers `204` when every copy is gone; `200` with this body when
 * the registry does not allow deletes and only the engine's copy could be removed.
 */
export interface ImageDeletion {
  name: string;
  /** Where the image was removed from. */
  removed: ImageLocation;
  /** What was done and what is still there, for the user. */
  message: string;
}

/** What the caller may do, from the scopes of their token. */
export interface Permissions {
  /** `access:services!service=<name>`: reach the service at all. */
  access: boolean;
  read: boolean;
  build: boolean;
  admin: boolean;
}

export interface Info {
  service: string;
  version: string;
  /** Which build backend runs builds: its `backend.kind` ("local", or another registered kind). */
  backend: string;
  /**
   * The registry images are pushed to and listed from, if any (its URL only, never its
   * credentials); with one, image names begin with its `host[:port]`.
   */
  registry: { url: string; pushByDefault: boolean } | null;
  limits: {
    maxConcurrentBuilds: number;
    maxConcurrentBuildsPerUser: number;
    maxQueuedBuildsPerUser: number;
    buildTimeoutSeconds: number;
    allowLocalRepos: boolean;
    /**
     * Folder uploads (`POST /api/builds/upload`): the most bytes of file content (and of the
     * request body), and the most archive members. Both absent: this service takes no uploads.
     */
    uploadMaxBytes?: number;
    uploadMaxFiles?: number;
  };
  /** The image name template, e.g. `r2d-{owner}/{name}`. */
  imageNameTemplate: string;
  user: {
    name: string;
    admin: boolean;
    /** The caller's hub groups (what they may share with); `[]` without a hub. */
    groups: string[];
    permissions: Permissions;
    /** Scopes of the caller's token that concern this service. */
    scopes: string[];
    /**
     * Scopes the caller would need for the permissions they lack, each with the configuration
     * that grants it, so the UI can explain what is missing.
     */
    missing: MissingScope[];
  };
  auth: 'local' | 'jupyterhub';
}

export interface MissingScope {
  scope: string;
  grants: keyof Permissions;
  /** A `jupyterhub_config.py` hint that grants it. */
  hint: string;
}

/** Every error response: `{"error": {...}}`. */
export interface ErrorBody {
  error: {
    /**
     * Stable machine-readable code: the service answers only with `ERROR_CODES` (ApiError is
     * typed so); a client still gets plain strings off the wire and must tolerate others.
     */
    code: ErrorCode | (string & {});
    message: string;
    /** The request field at fault, for 400s about input. */
    field?: string;
    /** The scope that would have allowed the request, for 403s about scopes. */
    scope?: string;
  };
}

/** `GET /health`. */
export interface Health {
  status: 'ok' | 'degraded';
  docker: 'ok' | 'unreachable';
}
