/**
 * The build phases, as the extension uses them: which are final, and how far along each is.
 * The lists are the contract's own values (`BUILD_PHASES`, `FINAL_PHASES` of
 * service/src/api/contract.ts), imported at run time so the extension cannot drift from the service.
 */

import {
  BUILD_PHASES,
  FINAL_PHASES as FINAL_PHASE_LIST,
  type BuildPhase
} from '@jupyterlab-repo2docker/service/contract';

/** Phases after which a build does not change any more and its log stream closes. */
export const FINAL_PHASES: ReadonlySet<BuildPhase> = new Set<BuildPhase>(
  FINAL_PHASE_LIST
);

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
