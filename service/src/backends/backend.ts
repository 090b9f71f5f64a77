/**
 * A build backend makes one image somewhere (repo2docker on the service's Docker engine here; a
 * BinderHub build API next) and reports what happens as log lines. It owns everything between
 * "build this commit" and "this image exists under our name": where it builds, any temporary
 * name, re-naming, cleaning up after a failure, the push. The build manager only decides whether,
 * when and how long a build runs, and what its outcome is. Chosen by configuration through one
 * factory (factory.ts), as configurable-http-proxy chooses its store.
 */
import type {
  BuildPhase,
  BuildProgress,
  GitCredentials,
  ImageLocation
} from '../api/contract.js';

export interface BuildJob {
  buildId: string;
  repo: string;
  /** The resolved commit; the backend builds exactly this. */
  commit: string;
  subdir: string | null;
  /** Full image reference to produce, `repository:tag`, in the owner's namespace. */
  image: string;
  /** Provenance labels the image must carry (images/labels.ts); the backend may add its own. */
  labels: Record<string, string>;
  /**
   * Whether to push once the image is made. Read after the build: a request joining the build
   * while it runs may turn it on.
   */
  readonly push: boolean;
  /** The image exists already (built without a push): only push it. */
  pushOnly: boolean;
  /** Docker build arguments (sorted by name); `{}` when none. */
  buildArgs: Record<string, string>;
  /**
   * A private repository's username and token, for this build's git only. Never logged, never
   * labelled, never given to repo2docker: a backend hands them to checkout() and forgets them.
   */
  credentials?: GitCredentials;
  /**
   * Built from an uploaded folder instead of a repository: `dir` is the unpacked folder in the
   * service's own work directory (backends/upload-dir.ts), checked already; `repo` and `commit`
   * are then `""`. The manager removes the directory once the build has ended.
   */
  folder?: { path: string; digest: string; dir: string };
}

/** What a build made. */
export interface BuiltImage {
  /** The image's reference, `repository:tag` (the job's `image`). */
  reference: string;
  /** The manifest digest the registry gave, when pushed. */
  digest: string | null;
  location: ImageLocation;
}

export interface BuildSink {
  /** A line of output; `phase` when the tool says which phase it is in. */
  line(
    phase: BuildPhase | null,
    message: string,
    progress: BuildProgress | null
  ): void;
}

/** A build that ended badly; `message` is for users (no traceback, no secret). */
export class BuildFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildFailure';
  }
}

/**
 * The image was made and named, but the step after (the push) did not succeed: the image is
 * kept. `reason` is what stopped that step (a `BuildFailure`, the signal's reason, …).
 */
export class ImageKept extends Error {
  constructor(
    readonly image: string,
    readonly reason: unknown
  ) {
    super(`${image} was built but not pushed`);
    this.name = 'ImageKept';
  }
}

/** Where a backend pushes to, if anywhere. */
export interface PushDestination {
  /** The registry URL, for users. */
  readonly url: string;
  /** Builds push unless they ask not to. */
  readonly pushByDefault: boolean;
}

export interface BuildBackend {
  /** Its `backend.kind` in the configuration (factory.ts). */
  readonly kind: string;
  /** Where it pushes; `null` when builds cannot be pushed. */
  readonly pushes: PushDestination | null;
  /**
   * Run the build. Resolves with what it made; rejects with `BuildFailure` when it failed,
   * with `ImageKept` when the image was made but not pushed, and with the signal's reason once
   * `signal` aborts and the build has stopped. On any rejection but `ImageKept`, nothing the
   * build made is left behind.
   */
  run(job: BuildJob, sink: BuildSink, signal: AbortSignal): Promise<BuiltImage>;
  /**
   * When a build failed: the cause in one sentence if the backend's builder is gone (the
   * engine stopped answering), else `null`. Its answer is waited for only a few seconds.
   */
  lostBuilder?(): Promise<string | null>;
  /** Builds from uploaded folders (`BuildJob.folder`); others refuse uploads with 501. */
  readonly buildsFolders?: boolean;
  /**
   * Refuse, at submit, what this backend cannot build (throws a 400 `ApiError` naming the field);
   * the manager asks it before anything else.
   */
  checkRequest?(request: {
    subdir: string | null;
    buildArgs?: Record<string, string>;
    credentials?: unknown;
  }): void;
}
