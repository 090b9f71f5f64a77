/**
 * The build-log view: a header (`logHeader.ts`), a search bar (`logSearchBar.ts`) and a virtual
 * viewport (`logViewport.ts`) over one `LogModel`. This class only composes them: it owns the
 * one render per frame and the actions that involve more than one part (search, jumps).
 *
 * Rendering after new lines, scrolls and searches is scheduled with requestAnimationFrame, so it
 * runs at most once per frame however many network reads or scroll events arrive (Lumino's
 * update request would not: it runs as a microtask, once per read).
 */

import {
  nullTranslator,
  type TranslationBundle
} from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { PanelLayout, Widget } from '@lumino/widgets';
import { LogViewClasses } from './classes';
import { copyLogText, downloadLogFile, logFileName } from './logExport';
import { LogHeader, type LogJump } from './logHeader';
import { LogModel } from './logModel';
import { LogSearchBar } from './logSearchBar';
import { LogViewport } from './logViewport';
import type { IBuildLogWidgetOptions } from './tokens';
import type { LineAlignment } from './viewport';

export { LogViewClasses };

/** Shortest time between two renders brought by new lines alone (10 per second). */
const LINES_FRAME_MS = 100;

/** Options of a `BuildLogView`: those of the widget, or an existing model. */
export interface IBuildLogViewOptions extends Partial<IBuildLogWidgetOptions> {
  buildId: string;
  /** Use this model instead of making one from `source`. */
  model?: LogModel;
}

/** The log of one build, virtualised. */
export class BuildLogView extends Widget {
  constructor(options: IBuildLogViewOptions) {
    super();
    this.buildId = options.buildId;
    this.label = options.label || options.buildId;
    this.model =
      options.model ??
      new LogModel({
        buildId: options.buildId,
        source: options.source,
        translator: options.translator
      });
    const trans: TranslationBundle = (
      options.translator ?? nullTranslator
    ).load('jupyterlab_repo2docker');
    this._trans = trans;
    this.addClass(LogViewClasses.root);

    const model = this.model;
    this._header = new LogHeader({ model, trans });
    this._searchBar = new LogSearchBar({
      model,
      trans,
      actions: {
        apply: query => this._applyQuery(query),
        next: () => this.nextMatch(),
        previous: () => this.previousMatch(),
        close: quiet => this._setSearchVisible(false, quiet)
      }
    });
    this._viewport = new LogViewport({
      model,
      trans,
      label: this.label,
      requestRender: () => this._scheduleRender()
    });
    const layout = new PanelLayout();
    layout.addWidget(this._header);
    layout.addWidget(this._searchBar);
    layout.addWidget(this._viewport);
    this.layout = layout;

    this._header.jumpRequested.connect(this._onJumpRequested, this);
    this._viewport.jumpVisibleChanged.connect((_, visible) => {
      this._header.setJumpVisible(visible);
    }, this);
    model.linesAdded.connect(this._scheduleLinesRender, this);
    model.stateChanged.connect(this._onModelStateChanged, this);
    model.searchChanged.connect(this._scheduleRender, this);
    model.phaseChanged.connect((_, phase) => {
      if (phase === 'failed') {
        // Show the cause rather than the tail once the build failed (once: the user may scroll on).
        this._viewport.jumpToErrorWhenKnown();
        this._scheduleRender();
      }
    }, this);
  }

  readonly buildId: string;
  /** What the log is called: the label given, or the build id. */
  readonly label: string;
  readonly model: LogModel;

  /** Whether the view follows the end of the log. */
  get following(): boolean {
    return this._viewport.following;
  }

  /** The search bar was shown or hidden. */
  get searchVisibilityChanged(): ISignal<this, boolean> {
    return this._searchVisibilityChanged;
  }

  get searchVisible(): boolean {
    return this._searchBar.shown;
  }

  /** The row height in px (measured from the theme's code font). */
  get rowHeight(): number {
    return this._viewport.rowHeight;
  }

  /** Scroll to the first line that reports an error, if any; returns whether there is one. */
  jumpToError(): boolean {
    return this._viewport.jumpToError();
  }

  /** Scroll to the end and follow it again. */
  jumpToLatest(): void {
    this._viewport.jumpToLatest();
  }

  /** Scroll so that `line` (0-based) is shown; stops following the tail. */
  scrollToLine(line: number, align: LineAlignment = 'center'): void {
    this._viewport.scrollToLine(line, align);
  }

  /** Show (`true`), hide (`false`) or toggle the search bar; showing focuses its input. */
  toggleSearch(show: boolean = !this.searchVisible): void {
    this._setSearchVisible(show, true);
  }

  /** Search for `query` now (as if typed in the search bar). */
  search(query: string): void {
    if (!this.searchVisible) {
      this._searchBar.shown = true;
      this._searchVisibilityChanged.emit(true);
    }
    this._searchBar.query = query;
    this._searchBar.apply();
  }

  /** Go to the next search match. */
  nextMatch(): void {
    if (this.model.nextMatch()) {
      this._viewport.revealCurrentMatch();
    }
  }

  /** Go to the previous search match. */
  previousMatch(): void {
    if (this.model.previousMatch()) {
      this._viewport.revealCurrentMatch();
    }
  }

  /** Copy the whole log (plain text) to the clipboard. Resolves with whether it worked. */
  copyLog(): Promise<boolean> {
    return copyLogText(this.model, this._trans);
  }

  /** The file name a download gets: `<label or build id>.log`, without path characters. */
  get downloadName(): string {
    return logFileName(this.label);
  }

  /** Download the whole log (plain text) as `<label or build id>.log`. */
  downloadLog(): void {
    downloadLogFile(this.model, this.downloadName);
  }

  /** Give the keyboard focus to the log itself (quietly: no focus ring). */
  focusLog(): void {
    this._viewport.focusLog(true);
  }

  /** Render now instead of at the next animation frame (tests). */
  renderNow(): void {
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._frame?.cancel();
    this._frame = null;
    if (this._linesTimer !== null) {
      clearTimeout(this._linesTimer);
      this._linesTimer = null;
    }
    this.model.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.model.start();
    // Not `update()`: the panel layout answers an update request with a resize of every part,
    // and the viewport would measure its font again each time.
    this._render();
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    this._render();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (this.searchVisible && this._searchBar.hasFocus) {
      return;
    }
    // Activation comes from a click on the tab or from code: keep the keyboard focus on the log
    // without drawing a ring around it.
    this._viewport.focusLog(true);
  }

  /**
   * Show or hide the search bar. Hiding it gives the focus back to the log: quietly (no focus
   * ring) after a click, visibly after the Escape key.
   */
  private _setSearchVisible(show: boolean, quiet: boolean): void {
    if (show === this.searchVisible) {
      if (show) {
        this._searchBar.focusInput();
      }
      return;
    }
    this._searchBar.shown = show;
    if (show) {
      this._searchBar.focusInput();
      if (this._searchBar.query) {
        this._searchBar.apply();
      }
    } else {
      this.model.setQuery('');
      this._viewport.focusLog(quiet);
    }
    this._searchVisibilityChanged.emit(show);
    // The bar took or gave back some height: lay the rows out again.
    this._scheduleRender();
  }

  private _applyQuery(query: string): void {
    const before = this.model.search.query;
    // Like a browser's find: the first match from the top of the screen on (wrapping).
    this.model.setQuery(query, this._viewport.firstVisible);
    if (this.model.search.query !== before && this.model.currentMatch) {
      this._viewport.revealCurrentMatch();
    }
  }

  private _onJumpRequested(_: LogHeader, jump: LogJump): void {
    if (jump === 'first-error') {
      this.jumpToError();
    } else {
      this.jumpToLatest();
    }
    this._viewport.focusLog(true);
  }

  /** Bring the DOM in line with the model; runs at most once per frame. */
  private _render(): void {
    if (this.isDisposed) {
      return;
    }
    this._lastRender = performance.now();
    this._header.render();
    this._searchBar.render();
    if (this.isVisible) {
      this._viewport.render();
    }
  }

  /**
   * The model's state changed: a new phase, connection state or error line is drawn in the next
   * frame; anything else (counts and times that change with every batch of lines) with the lines.
   */
  private _onModelStateChanged(): void {
    const model = this.model;
    const key = `${model.phase}|${model.connection.status}|${model.knownErrorLine}`;
    if (key !== this._stateKey) {
      this._stateKey = key;
      this._scheduleRender();
    } else {
      this._scheduleLinesRender();
    }
  }

  /**
   * Render for new lines: in the next frame, but no more often than every `LINES_FRAME_MS`
   * while they keep coming. A replayed log brings a screenful of lines every few milliseconds,
   * and each frame costs a layout, a paint and a raster of the whole viewport: drawing the tail
   * 60 times a second took as long as storing the lines, for text nobody can read at that
   * speed. A build's last lines are drawn at once (its final phase renders in the next frame).
   */
  private _scheduleLinesRender(): void {
    if (this._frame !== null || this._linesTimer !== null || this.isDisposed) {
      return;
    }
    const wait = this._lastRender + LINES_FRAME_MS - performance.now();
    if (wait <= 0) {
      this._scheduleRender();
      return;
    }
    this._linesTimer = setTimeout(() => {
      this._linesTimer = null;
      this._scheduleRender();
    }, wait);
  }

  /** Render in the next animation frame, once, however often this is called before it. */
  private _scheduleRender(): void {
    if (this._linesTimer !== null) {
      clearTimeout(this._linesTimer);
      this._linesTimer = null;
    }
    if (this._frame !== null || this.isDisposed) {
      return;
    }
    const run = (): void => {
      this._frame = null;
      if (!this.isDisposed && this.isAttached) {
        this._render();
      }
    };
    if (typeof requestAnimationFrame === 'function') {
      const id = requestAnimationFrame(run);
      this._frame = { cancel: () => cancelAnimationFrame(id) };
    } else {
      const id = setTimeout(run, 16);
      this._frame = { cancel: () => clearTimeout(id) };
    }
  }

  private _trans: TranslationBundle;
  private _header: LogHeader;
  private _searchBar: LogSearchBar;
  private _viewport: LogViewport;
  private _frame: { cancel: () => void } | null = null;
  /** A render for new lines waiting for `LINES_FRAME_MS` to pass since the last render. */
  private _linesTimer: ReturnType<typeof setTimeout> | null = null;
  private _lastRender = -Infinity;
  /** Phase, connection and error line last seen (see `_onModelStateChanged`). */
  private _stateKey = '';
  private _searchVisibilityChanged = new Signal<this, boolean>(this);
}
