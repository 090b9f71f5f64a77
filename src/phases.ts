/**
 * The build phases, as the extension uses them: which are final, and how far along each is.
 * The contract lists them (`BUILD_PHASES`, `FINAL_PHASES` in service/src/api/contract.ts).
 */

import type { BuildPhase } from '@jupyterlab-repo2docker/service/contract';

/** Every phase, in order (the contract's `BUILD_PHASES`). */
const BUILD_PHASES: readonly BuildPhase[] = [
  'queued',
  'fetching',
  'building',
  'pushing',
  'built',
  'failed',
  'cancelled'
] satisfies readonly BuildPhase[];

/** Phases after which a build does not change any more and its log stream closes. */
export const FINAL_PHASES: ReadonlySet<BuildPhase> = new Set<BuildPhase>([
  'built',
  'failed',
  'cancelled'
]);

const KNOWN: ReadonlySet<string> = new Set<string>(BUILD_PHASES);

/** Whether `value` is a phase of the contract (log events are checked with it). */
export function isBuildPhase(value: unknown): value is BuildPhase {
  return typeof value === 'string' && KNOWN.has(value);
}

/** Whether `phase` is final. */
export function isFinalPhase(phase: BuildPhase | null | undefined): boolean {
  return !!phase && FINAL_PHASES.has(phase);
}

/** The rank of the first final phase: every final phase is as far along as the others. */
const FINAL_RANK = BUILD_PHASES.findIndex(phase => FINAL_PHASES.has(phase));

/** How far along a build is in `phase`: a build only moves forward. */
export function phaseRank(phase: BuildPhase): number {
  return FINAL_PHASES.has(phase) ? FINAL_RANK : BUILD_PHASES.indexOf(phase);
}
