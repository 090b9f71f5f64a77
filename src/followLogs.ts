/**
 * Keeps the Environments panel in step with the open build log viewers: a viewer's stream hears
 * of a new phase (above all the end of a build) as it happens, the panel's poll only later.
 */

import type { ISignal } from '@lumino/signaling';
import type { LogModel } from './logs';
import type { EnvironmentsModel } from './model';

/** An open log viewer, as far as following it goes (a `BuildLogWidget` is one). */
export interface ILogViewer {
  readonly content: { readonly model: LogModel };
}

/** The open log viewers and those opened later (the `IBuildLogTracker` is such). */
export interface ILogViewers {
  forEach(fn: (viewer: ILogViewer) => void): void;
  readonly widgetAdded: ISignal<unknown, ILogViewer>;
}

/**
 * Tell `model` of every phase that the logs of `viewers` reach, now and later, so that the
 * sidebar shows a build's end when its log does. The connections end with the model.
 */
export function followBuildLogs(
  viewers: ILogViewers,
  model: EnvironmentsModel
): void {
  const follow = (viewer: ILogViewer) => {
    const log = viewer.content.model;
    if (log.phase !== null) {
      model.observePhase(log.buildId, log.phase);
    }
    log.phaseChanged.connect(
      (_, phase) => model.observePhase(log.buildId, phase),
      model
    );
  };
  viewers.forEach(follow);
  viewers.widgetAdded.connect((_, viewer) => follow(viewer), model);
}
