/**
 * The dockable build-log viewer.
 */

export type {
  ConnectionState,
  IBuildLogWidgetOptions,
  ILogStreamSource
} from './tokens';
export {
  BuildLogWidget,
  BUILD_LOG_WIDGET_CLASS,
  buildLogWidgetId
} from './BuildLogWidget';
export { BuildLogView, type IBuildLogViewOptions } from './logView';
export { LogViewClasses } from './classes';
export { LogHeader } from './logHeader';
export { LogSearchBar } from './logSearchBar';
export { LogViewport } from './logViewport';
export { LogModel, MAX_MATCHES } from './logModel';
export { LogStream, FINAL_PHASES, isFinalPhase } from './logStream';
export { LineStore, LogLines } from './lineStore';
export { PHASE_ICONS, phaseLabel, formatDuration } from './phase';
