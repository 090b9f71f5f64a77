/**
 * The labels every image we build carries. They are the service's only memory across restarts:
 * a new process lists images by these labels and knows owner, source and build again.
 */
import { createHash } from 'node:crypto';
import type {
  FolderSource,
  Image,
  ImageLocation,
  Sharing,
  SharingVisibility
} from '../api/contract.js';
import { SHARING_VISIBILITIES } from '../api/contract.js';
import { splitImageReference } from './naming.js';

const PREFIX = 'org.jupyter.repo2docker-service.';

export const LABEL = {
  owner: `${PREFIX}owner`,
  shared: `${PREFIX}shared`,
  repo: `${PREFIX}repo`,
  ref: `${PREFIX}ref`,
  commit: `${PREFIX}commit`,
  subdir: `${PREFIX}subdir`,
  name: `${PREFIX}name`,
  displayName: `${PREFIX}display-name`,
  buildId: `${PREFIX}build-id`,
  builtAt: `${PREFIX}built-at`,
  private: `${PREFIX}private`,
  buildArgs: `${PREFIX}build-args`,
  buildArgsDigest: `${PREFIX}build-args-digest`,
  sharing: `${PREFIX}sharing`,
  sharingGroups: `${PREFIX}sharing-groups`,
  // Folder builds (POST /api/builds/upload): `source` is "folder" and repo/ref/commit are empty.
  source: `${PREFIX}source`,
  folderPath: `${PREFIX}folder-path`,
  folderDigest: `${PREFIX}folder-digest`
} as const;

/**
 * What "already built" compares of the build arguments: `sha256:` of their names and values,
 * sorted by name, as JSON (no separator a value could forge); `""` for none, which is also what an
 * image built before build arguments existed reads as. The values themselves are not labelled:
 * they are in the image's history, and a label would copy them into every listing.
 */
export function buildArgsDigest(args: Record<string, string>): string {
  const names = Object.keys(args).sort();
  if (names.length === 0) {
    return '';
  }
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(names.map(name => [name, args[name]])))
    .digest('hex')}`;
}

export interface ImageLabels {
  owner: string;
  shared: boolean;
  repo: string;
  ref: string;
  commit: string;
  subdir: string | null;
  name: string;
  displayName: string;
  buildId: string;
  builtAt: string;
  /** Built with credentials: its owner's only. */
  private: boolean;
  /** Names of the build arguments, sorted. */
  buildArgs: string[];
  buildArgsDigest: string;
  /** Built from an uploaded folder: its path (provenance only) and content digest. */
  folder: FolderSource | null;
  /** Who besides the owner may see and start it (changed later by re-labelling, never rebuilt). */
  sharing: Sharing;
}

/** What a new build is shared with: its owner only, until the owner chooses otherwise. */
export const OWNER_ONLY: Sharing = Object.freeze({
  visibility: 'owner',
  groups: Object.freeze([]) as unknown as string[]
});

/**
 * The sharing labels' values. Groups are a JSON array (a hub group name may hold a comma);
 * they are kept only for `groups`, so "owner" and "everyone" read back with none.
 */
export function sharingLabels(sharing: Sharing): Record<string, string> {
  return {
    [LABEL.sharing]: sharing.visibility,
    [LABEL.sharingGroups]: JSON.stringify(
      sharing.visibility === 'groups' ? [...sharing.groups].sort() : []
    )
  };
}

/**
 * The sharing an image's labels say. Anything we would not have written (an unknown visibility,
 * groups that are not a JSON list of strings, no groups for `groups`) reads as owner-only: a
 * label we cannot read must never widen who sees an image.
 */
export function sharingOf(labels: Record<string, string>): Sharing {
  const visibility = labels[LABEL.sharing] as SharingVisibility | undefined;
  if (
    !visibility ||
    !(SHARING_VISIBILITIES as readonly string[]).includes(visibility)
  ) {
    return { visibility: 'owner', groups: [] };
  }
  if (visibility !== 'groups') {
    return { visibility, groups: [] };
  }
  let groups: unknown;
  try {
    groups = JSON.parse(labels[LABEL.sharingGroups] ?? '');
  } catch {
    groups = null;
  }
  if (
    !Array.isArray(groups) ||
    groups.length === 0 ||
    !groups.every(group => typeof group === 'string' && group !== '')
  ) {
    return { visibility: 'owner', groups: [] };
  }
  return { visibility, groups: [...(groups as string[])].sort() };
}

/** Our labels; without `sharing`, those of a new build (owner-only). */
export function toLabels(
  labels: Omit<ImageLabels, 'sharing' | 'folder'> & {
    sharing?: Sharing;
    folder?: FolderSource | null;
  }
): Record<string, string> {
  return {
    ...sharingLabels(labels.sharing ?? OWNER_ONLY),
    [LABEL.owner]: labels.owner,
    [LABEL.shared]: labels.shared ? 'true' : 'false',
    [LABEL.repo]: labels.repo,
    [LABEL.ref]: labels.ref,
    [LABEL.commit]: labels.commit,
    [LABEL.subdir]: labels.subdir ?? '',
    [LABEL.name]: labels.name,
    [LABEL.displayName]: labels.displayName,
    [LABEL.buildId]: labels.buildId,
    [LABEL.builtAt]: labels.builtAt,
    [LABEL.private]: labels.private ? 'true' : 'false',
    [LABEL.buildArgs]: labels.buildArgs.join(','),
    [LABEL.buildArgsDigest]: labels.buildArgsDigest,
    // Only on folder builds. A repository whose Dockerfile sets them anyway fails the forge
    // check (labelsDiffer compares every key of our namespace, set by us or not).
    ...(labels.folder
      ? {
          [LABEL.source]: 'folder',
          [LABEL.folderPath]: labels.folder.path,
          [LABEL.folderDigest]: labels.folder.digest
        }
      : {})
  };
}

/**
 * The keys of our namespace in which `actual` differs from `expected` (missing, other value, or
 * one we did not set), sorted; empty when they agree. Keys outside our namespace are ignored:
 * repo2docker's own (`repo2docker.*`) and whatever a base image carried.
 */
export function labelsDiffer(
  actual: Record<string, string>,
  expected: Record<string, string>
): string[] {
  const keys = new Set(
    [...Object.keys(actual), ...Object.keys(expected)].filter(key =>
      key.startsWith(PREFIX)
    )
  );
  return [...keys].filter(key => actual[key] !== expected[key]).sort();
}

/**
 * The tag an image of ours has: the commit it was built from, or for a folder build the hex of
 * its content digest (an image counts as ours only under that tag: docker/engine.ts, registry/).
 */
export function expectedTag(
  labels: Pick<ImageLabels, 'commit' | 'folder'>
): string {
  return labels.folder
    ? labels.folder.digest.slice('sha256:'.length)
    : labels.commit;
}

/** Read our labels back; `null` when the image was not built by this service. */
export function fromLabels(
  labels: Record<string, string> | null | undefined
): ImageLabels | null {
  if (
    !labels ||
    !labels[LABEL.owner] ||
    !labels[LABEL.buildId] ||
    // A folder build has no commit; it has its digest instead.
    !(
      labels[LABEL.commit] ||
      (labels[LABEL.source] === 'folder' && labels[LABEL.folderDigest])
    )
  ) {
    return null;
  }
  return {
    owner: labels[LABEL.owner],
    shared: labels[LABEL.shared] === 'true',
    repo: labels[LABEL.repo] ?? '',
    ref: labels[LABEL.ref] ?? '',
    commit: labels[LABEL.commit],
    subdir: labels[LABEL.subdir] ? labels[LABEL.subdir] : null,
    name: labels[LABEL.name] ?? '',
    displayName: labels[LABEL.displayName] ?? '',
    buildId: labels[LABEL.buildId],
    builtAt: labels[LABEL.builtAt] ?? '',
    private: labels[LABEL.private] === 'true',
    buildArgs: labels[LABEL.buildArgs]
      ? labels[LABEL.buildArgs].split(',')
      : [],
    buildArgsDigest: labels[LABEL.buildArgsDigest] ?? '',
    folder:
      labels[LABEL.source] === 'folder' && labels[LABEL.folderDigest]
        ? {
            path: labels[LABEL.folderPath] ?? '',
            digest: labels[LABEL.folderDigest]
          }
        : null,
    sharing: sharingOf(labels)
  };
}

export function toImage(
  reference: string,
  labels: Omit<ImageLabels, 'sharing'> & { sharing?: Sharing },
  size: number | null,
  location: ImageLocation
): Image {
  return {
    name: reference,
    ...splitImageReference(reference),
    owner: labels.owner,
    shared: labels.shared,
    repo: labels.repo,
    ref: labels.ref,
    commit: labels.commit,
    subdir: labels.subdir,
    displayName: labels.displayName,
    buildId: labels.buildId,
    builtAt: labels.builtAt,
    private: labels.private,
    buildArgs: labels.buildArgs,
    buildArgsDigest: labels.buildArgsDigest,
    folder: labels.folder,
    sharing: labels.sharing ?? OWNER_ONLY,
    size,
    location
  };
}
