/**
 * The labels every image we build carries. They are the service's only memory across restarts:
 * a new process lists images by these labels and knows owner, source and build again.
 */
import { createHash } from 'node:crypto';
import type { Image, ImageLocation } from '../api/contract.js';
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
  buildArgsDigest: `${PREFIX}build-args-digest`
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
}

export function toLabels(labels: ImageLabels): Record<string, string> {
  return {
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
    [LABEL.buildArgsDigest]: labels.buildArgsDigest
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

/** Read our labels back; `null` when the image was not built by this service. */
export function fromLabels(
  labels: Record<string, string> | null | undefined
): ImageLabels | null {
  if (
    !labels ||
    !labels[LABEL.owner] ||
    !labels[LABEL.buildId] ||
    !labels[LABEL.commit]
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
    buildArgsDigest: labels[LABEL.buildArgsDigest] ?? ''
  };
}

export function toImage(
  reference: string,
  labels: ImageLabels,
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
    size,
    location
  };
}
