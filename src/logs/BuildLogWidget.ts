/**
 * The main-area widget of one build's log: a `BuildLogView` with a toolbar (search, copy,
 * download). The plugin tracks these with a `WidgetTracker` and restores them by `buildId`.
 */

import { MainAreaWidget } from '@jupyterlab/apputils';
import {
  nullTranslator,
  type TranslationBundle
} from '@jupyterlab/translation';
import {
  copyIcon,
  downloadIcon,
  searchIcon,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { BuildLogView } from './logView';
import { PHASE_ICONS, phaseLabel } from './phase';
import type { IBuildLogWidgetOptions } from './tokens';

/** Class of the widget, and prefix of the phase classes it carries (`jp-mod-phase-<phase>`). */
export const BUILD_LOG_WIDGET_CLASS = 'jp-Repo2DockerLogWidget';

/** The DOM id of the log widget of `buildId`. */
export function buildLogWidgetId(buildId: string): string {
  return `repo2docker-log-${buildId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** One main-area widget per build. */
export class BuildLogWidget extends MainAreaWidget<BuildLogView> {
  constructor(options: IBuildLogWidgetOptions) {
    const translator = options.translator ?? nullTranslator;
    const content = new BuildLogView({ ...options, translator });
    super({ content, translator });
    this.buildId = options.buildId;
    this.label = content.label;
    this._trans = translator.load('jupyterlab_repo2docker');
    this.id = buildLogWidgetId(options.buildId);
    this.addClass(BUILD_LOG_WIDGET_CLASS);
    this.title.closable = true;

    const trans = this._trans;
    this._searchButton = new ToolbarButton({
      icon: searchIcon,
      tooltip: trans.__('Find in log (Ctrl+F)'),
      pressedTooltip: trans.__('Close search'),
      onClick: () => content.toggleSearch(),
      translator
    });
    this.toolbar.addItem('search', this._searchButton);
    this.toolbar.addItem(
      'copy',
      new ToolbarButton({
        icon: copyIcon,
        tooltip: trans.__('Copy the whole log'),
        onClick: () => void content.copyLog(),
        translator
      })
    );
    this.toolbar.addItem(
      'download',
      new ToolbarButton({
        icon: downloadIcon,
        tooltip: trans.__('Download the log as %1', content.downloadName),
        onClick: () => content.downloadLog(),
        translator
      })
    );
    content.searchVisibilityChanged.connect((_, shown) => {
      this._searchButton.pressed = shown;
    }, this);
    content.model.stateChanged.connect(this._syncTitleWithPhase, this);
    this._syncTitleWithPhase();
  }

  readonly buildId: string;
  /** The label given (or the build id): the tab title and the download's name. */
  readonly label: string;

  private _syncTitleWithPhase(): void {
    const model = this.content.model;
    const phase = model.phase;
    const phaseText = phaseLabel(this._trans, phase);
    if (phase === null) {
      this.title.label = this.label;
      this.title.icon = undefined;
    } else {
      this.title.label = this._trans.__('%1 · %2', this.label, phaseText);
      this.title.icon = PHASE_ICONS[phase];
    }
    const progress =
      model.progress && !model.isFinal
        ? ` (${model.progress.current}/${model.progress.total})`
        : '';
    this.title.caption = this._trans.__(
      'Build log of %1: %2',
      this.label,
      phaseText + progress
    );
    if (phase !== this._phase) {
      if (this._phase) {
        this.removeClass(`jp-mod-phase-${this._phase}`);
      }
      if (phase) {
        this.addClass(`jp-mod-phase-${phase}`);
      }
      this._phase = phase;
    }
  }

  private _trans: TranslationBundle;
  private _searchButton: ToolbarButton;
  private _phase: string | null = null;
}
