/**
 * The build-log view: a header (phase, progress, elapsed time, connection), a search bar and a
 * virtual viewport that renders only the rows on screen.
 *
 * Rows have one fixed height and the scroll container holds one spacer; past 10M px the scroll
 * position maps proportionally onto the lines (see `viewport.ts`), so a million lines or ten
 * scroll as smoothly as a hundred. Rendering after new lines, scrolls and searches is scheduled
 * with requestAnimationFrame, so it runs at most once per frame however many network reads or
 * scroll events arrive (Lumino's update request would not: it runs as a microtask, once per read).
 */

import type { BuildPhase } from '@jupyterlab-repo2docker/service/contract';
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { nullTranslator, type TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, caretUpIcon, closeIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { renderLine } from './ansi';
import { LogModel } from './logModel';
import { connectionLabel, formatDuration, PHASE_ICONS, phaseLabel } from './phase';
import type { IBuildLogWidgetOptions } from './tokens';
import {
  computeGeometry,
  IViewportGeometry,
  renderWindow,
  scrollTopForLine,
  type LineAlignment,
  virtualTop
} from './viewport';

/** Row height used until one can be measured (13px code font × 1.3077 line height). */
const DEFAULT_ROW_HEIGHT = 17;
/** Character width used until one can be measured. */
const DEFAULT_CHAR_WIDTH = 7.8;
/** Rows rendered above and below the visible ones. */
const OVERSCAN = 10;
/** Wait this long after typing before searching a long log (ms). */
const SEARCH_DEBOUNCE = 120;

/** CSS classes of the view, for styling and tests. */
export namespace LogViewClasses {
  export const root = 'jp-Repo2DockerLog';
  export const header = 'jp-Repo2DockerLog-header';
  export const phase = 'jp-Repo2DockerLog-phase';
  export const progress = 'jp-Repo2DockerLog-progress';
  export const elapsed = 'jp-Repo2DockerLog-elapsed';
  export const lineCount = 'jp-Repo2DockerLog-lineCount';
  export const connection = 'jp-Repo2DockerLog-connection';
  export const search = 'jp-Repo2DockerLog-search';
  export const searchInput = 'jp-Repo2DockerLog-searchInput';
  export const searchCount = 'jp-Repo2DockerLog-searchCount';
  export const searchButton = 'jp-Repo2DockerLog-searchButton';
  export const body = 'jp-Repo2DockerLog-body';
  export const viewport = 'jp-Repo2DockerLog-viewport';
  export const spacer = 'jp-Repo2DockerLog-spacer';
  export const rows = 'jp-Repo2DockerLog-rows';
  export const line = 'jp-Repo2DockerLog-line';
  export const lineNumber = 'jp-Repo2DockerLog-lineNumber';
  export const lineText = 'jp-Repo2DockerLog-lineText';
  export const currentLine = 'jp-Repo2DockerLog-line-current';
  /** The first line that reports an error. */
  export const errorLine = 'jp-Repo2DockerLog-line-error';
  /** The header's button that scrolls to that line. */
  export const errorButton = 'jp-Repo2DockerLog-errorButton';
  /** The header's button that reopens a stream that gave up. */
  export const retryButton = 'jp-Repo2DockerLog-retry';
  export const empty = 'jp-Repo2DockerLog-empty';
  export const jump = 'jp-Repo2DockerLog-jump';
  /** On the viewport while it holds focus it was given by code (tab click, button): no ring. */
  export const quietFocus = 'jp-mod-quietFocus';
}

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
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab_repo2docker');
    this.addClass(LogViewClasses.root);
    this._buildDom();
    this.model.linesAdded.connect(this._onLinesAdded, this);
    this.model.stateChanged.connect(this._onStateChanged, this);
    this.model.searchChanged.connect(this._onSearchChanged, this);
    this.model.phaseChanged.connect((_, phase) => {
      if (phase === 'failed') {
        // Show the cause rather than the tail once the build failed (once: the user may scroll on).
        this._errorJumpPending = true;
        this._scheduleRender();
      }
    }, this);
  }

  /** Scroll to the first line that reports an error, if any; returns whether there is one. */
  jumpToError(): boolean {
    const line = this.model.firstErrorLine;
    if (line === null) {
      return false;
    }
    this.scrollToLine(line, 'center');
    return true;
  }

  readonly buildId: string;
  /** What the log is called: the label given, or the build id. */
  readonly label: string;
  readonly model: LogModel;

  /** Whether the view follows the end of the log. */
  get following(): boolean {
    return this._follow;
  }

  /** The search bar was shown or hidden. */
  get searchVisibilityChanged(): ISignal<this, boolean> {
    return this._searchVisibilityChanged;
  }

  get searchVisible(): boolean {
    return !this._searchBar.hidden;
  }

  /** The row height in px (measured from the theme's code font). */
  get rowHeight(): number {
    return this._rowHeight;
  }

  /** Scroll to the end and follow it again. */
  jumpToLatest(): void {
    this._follow = true;
    this._render();
  }

  /** Show (`true`), hide (`false`) or toggle the search bar; showing focuses its input. */
  toggleSearch(show: boolean = !this.searchVisible): void {
    this._setSearchVisible(show, true);
  }

  /**
   * Show or hide the search bar. Hiding it gives the focus back to the log: quietly (no focus
   * ring) after a click, visibly after the Escape key.
   */
  private _setSearchVisible(show: boolean, quiet: boolean): void {
    if (show === this.searchVisible) {
      if (show) {
        this._searchInput.focus();
        this._searchInput.select();
      }
      return;
    }
    this._searchBar.hidden = !show;
    if (show) {
      this._searchInput.focus();
      this._searchInput.select();
      if (this._searchInput.value) {
        this._applyQuery();
      }
    } else {
      clearTimeout(this._searchTimer);
      this.model.setQuery('');
      this._focusViewport(quiet);
    }
    this._searchVisibilityChanged.emit(show);
    this.update();
  }

  /** Search for `query` now (as if typed in the search bar). */
  search(query: string): void {
    if (!this.searchVisible) {
      this._searchBar.hidden = false;
      this._searchVisibilityChanged.emit(true);
    }
    this._searchInput.value = query;
    this._applyQuery();
  }

  /** Go to the next search match. */
  nextMatch(): void {
    if (this.model.nextMatch()) {
      this._revealCurrentMatch();
    }
  }

  /** Go to the previous search match. */
  previousMatch(): void {
    if (this.model.previousMatch()) {
      this._revealCurrentMatch();
    }
  }

  /** Scroll so that `line` (0-based) is shown; stops following the tail. */
  scrollToLine(line: number, align: LineAlignment = 'center'): void {
    const g = this._geometry();
    this._applySpacer(g);
    const top = scrollTopForLine(g, line, align, this._viewport.scrollTop);
    this._follow = false;
    this._viewport.scrollTop = top;
    this._lastGeometry = g;
    this._anchor = virtualTop(g, top);
    this._render();
  }

  /** Copy the whole log (plain text) to the clipboard. Resolves with whether it worked. */
  async copyLog(): Promise<boolean> {
    const text = this.model.plainText();
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(text);
      } else {
        Clipboard.copyToSystem(text);
      }
      Notification.success(
        this._trans._n(
          'Copied %1 line of the build log.',
          'Copied %1 lines of the build log.',
          this.model.lineCount
        ),
        { autoClose: 3000 }
      );
      return true;
    } catch (reason) {
      Notification.error(this._trans.__('Could not copy the build log: %1', String(reason)), {
        autoClose: 5000
      });
      return false;
    }
  }

  /** The file name a download gets: `<label or build id>.log`, without path characters. */
  get downloadName(): string {
    const base = this.label.replace(/[\\/:*?"<>|\s]+/g, '_').replace(/^[._]+/, '') || 'build';
    return `${base}.log`;
  }

  /** Download the whole log (plain text) as `<label or build id>.log`. */
  downloadLog(): void {
    const url = URL.createObjectURL(this.model.toBlob());
    const a = document.createElement('a');
    a.href = url;
    a.download = this.downloadName;
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  }

  /** Render now instead of at the next animation frame (tests). */
  renderNow(): void {
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    clearTimeout(this._searchTimer);
    this._frame?.cancel();
    this._frame = null;
    this._stopTicker();
    this.model.dispose();
    super.dispose();
  }

  // ---- Lumino ------------------------------------------------------------------------------

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._viewport.addEventListener('scroll', this, { passive: true });
    this._viewport.addEventListener('blur', this);
    this.node.addEventListener('keydown', this);
    this._measure();
    void this.model.start();
    this._syncTicker();
    this.update();
  }

  protected onBeforeDetach(msg: Message): void {
    this._viewport.removeEventListener('scroll', this);
    this._viewport.removeEventListener('blur', this);
    this.node.removeEventListener('keydown', this);
    this._stopTicker();
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._measure();
    this.update();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._measure();
    this.update();
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    this._render();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (this.searchVisible && this._searchBar.contains(document.activeElement)) {
      return;
    }
    // Activation comes from a click on the tab or from code: keep the keyboard focus on the log
    // without drawing a ring around it.
    this._focusViewport(true);
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'scroll':
        this._onScroll();
        break;
      case 'keydown':
        this._onKeydown(event as KeyboardEvent);
        break;
      case 'blur':
        // Focus that comes back later (Tab from the search bar) is the keyboard's: show it.
        this._viewport.classList.remove(LogViewClasses.quietFocus);
        break;
    }
  }

  /**
   * Focus the log. `quiet`: for focus given by code after a mouse action, which draws no focus
   * ring (the ring comes back once the user types in the log or tabs to it).
   */
  private _focusViewport(quiet: boolean): void {
    const viewport = this._viewport;
    viewport.classList.toggle(LogViewClasses.quietFocus, quiet);
    // `focusVisible` (where the browser knows it) says the same to the browser itself.
    const options = quiet ? { preventScroll: true, focusVisible: false } : { preventScroll: true };
    viewport.focus(options as FocusOptions);
  }

  // ---- DOM ---------------------------------------------------------------------------------

  private _buildDom(): void {
    const trans = this._trans;
    const el = <K extends keyof HTMLElementTagNameMap>(
      tag: K,
      className: string,
      parent?: HTMLElement
    ) => {
      const e = document.createElement(tag);
      e.className = className;
      parent?.appendChild(e);
      return e;
    };

    const header = el('div', LogViewClasses.header, this.node);
    this._phaseNode = el('span', LogViewClasses.phase, header);
    this._phaseIcon = el('span', `${LogViewClasses.phase}-icon`, this._phaseNode);
    this._phaseText = el('span', `${LogViewClasses.phase}-text`, this._phaseNode);
    this._progressNode = el('span', LogViewClasses.progress, header);
    this._elapsedNode = el('span', LogViewClasses.elapsed, header);
    this._elapsedNode.title = trans.__('Elapsed time');
    this._lineCountNode = el('span', LogViewClasses.lineCount, header);
    this._connectionNode = el('span', LogViewClasses.connection, header);
    this._connectionNode.setAttribute('role', 'status');
    this._retry = el('button', `${LogViewClasses.retryButton} jp-Button jp-mod-styled jp-mod-reject`, header);
    this._retry.type = 'button';
    this._retry.textContent = trans.__('Retry');
    this._retry.title = trans.__('Connect to the build log again');
    this._retry.hidden = true;
    this._retry.addEventListener('click', () => void this.model.retry());
    this._errorButton = el('button', `${LogViewClasses.errorButton} jp-Button jp-mod-minimal`, header);
    this._errorButton.type = 'button';
    this._errorButton.hidden = true;
    this._errorButton.addEventListener('click', () => {
      this.jumpToError();
      this._focusViewport(true);
    });

    const bar = el('div', LogViewClasses.search, this.node);
    bar.hidden = true;
    this._searchBar = bar;
    const input = el('input', LogViewClasses.searchInput, bar);
    input.type = 'text';
    input.spellcheck = false;
    input.placeholder = trans.__('Find in log');
    input.setAttribute('aria-label', trans.__('Find in log'));
    input.title = trans.__('Enter: next match, Shift+Enter: previous, Escape: close');
    input.addEventListener('input', () => this._scheduleQuery());
    input.addEventListener('keydown', event => this._onSearchKeydown(event));
    this._searchInput = input;
    this._searchCount = el('span', LogViewClasses.searchCount, bar);
    this._searchCount.setAttribute('aria-live', 'polite');
    const button = (icon: typeof closeIcon, title: string, onClick: () => void) => {
      const b = el('button', `${LogViewClasses.searchButton} jp-Button jp-mod-minimal`, bar);
      b.type = 'button';
      b.title = title;
      b.setAttribute('aria-label', title);
      b.appendChild(icon.element({ tag: 'span', elementPosition: 'center' }));
      b.addEventListener('click', onClick);
      return b;
    };
    this._prevButton = button(caretUpIcon, trans.__('Previous match (Shift+Enter)'), () =>
      this.previousMatch()
    );
    this._nextButton = button(caretDownIcon, trans.__('Next match (Enter)'), () =>
      this.nextMatch()
    );
    button(closeIcon, trans.__('Close search (Escape)'), () => this.toggleSearch(false));

    const body = el('div', LogViewClasses.body, this.node);
    this._viewport = el('div', LogViewClasses.viewport, body);
    this._viewport.tabIndex = 0;
    this._viewport.setAttribute('role', 'region');
    this._viewport.setAttribute('aria-label', trans.__('Build log of %1', this.label));
    this._spacer = el('div', LogViewClasses.spacer, this._viewport);
    this._rowsLayer = el('div', LogViewClasses.rows, this._spacer);
    this._empty = el('div', LogViewClasses.empty, body);
    // In the header, where notifications (bottom right) never cover it.
    this._jump = el('button', `${LogViewClasses.jump} jp-Button jp-mod-styled jp-mod-accept`, header);
    this._jump.type = 'button';
    this._jump.appendChild(caretDownIcon.element({ tag: 'span', elementPosition: 'center' }));
    const jumpText = el('span', `${LogViewClasses.jump}-text`, this._jump);
    jumpText.textContent = trans.__('Jump to latest');
    this._jump.title = trans.__('Scroll to the end of the log and follow it');
    this._jump.hidden = true;
    this._jump.addEventListener('click', () => {
      this.jumpToLatest();
      this._focusViewport(true);
    });
    this._renderHeader();
  }

  /** Measure row height and character width from the theme's code font. */
  private _measure(): void {
    const probe = document.createElement('div');
    probe.className = LogViewClasses.line;
    probe.style.position = 'absolute';
    probe.style.visibility = 'hidden';
    probe.style.height = 'auto';
    // The theme's code line height (inherited from the viewport), not the row height set before.
    probe.style.lineHeight = 'inherit';
    const text = document.createElement('span');
    text.className = LogViewClasses.lineText;
    text.textContent = 'M'.repeat(40);
    probe.appendChild(text);
    this._rowsLayer.appendChild(probe);
    const height = Math.ceil(probe.getBoundingClientRect().height);
    const width = text.getBoundingClientRect().width / 40;
    probe.remove();
    if (height > 0 && height !== this._rowHeight) {
      this._rowHeight = height;
      this._rowKeys.fill(-1);
    }
    if (width > 0) {
      this._charWidth = width;
    }
    this._rowsLayer.style.setProperty('--jp-repo2docker-log-row-height', `${this._rowHeight}px`);
  }

  private _geometry(): IViewportGeometry {
    return computeGeometry(this.model.lineCount, this._rowHeight, this._viewport.clientHeight);
  }

  private _applySpacer(g: IViewportGeometry): void {
    if (g.spacerHeight !== this._spacerHeight) {
      this._spacerHeight = g.spacerHeight;
      this._spacer.style.height = `${g.spacerHeight}px`;
    }
  }

  /** Bring the DOM in line with the model; runs at most once per frame. */
  private _render(): void {
    if (this.isDisposed) {
      return;
    }
    this._renderHeader();
    this._renderSearchBar();
    if (!this.isVisible) {
      return;
    }
    const viewport = this._viewport;
    const g = this._geometry();
    const previous = this._lastGeometry;
    // Where the user is, in virtual pixels, read against the geometry they scrolled in.
    if (previous && !this._follow) {
      this._anchor = virtualTop(previous, viewport.scrollTop);
    }
    this._applySpacer(g);
    let scrollTop = viewport.scrollTop;
    if (this._follow) {
      scrollTop = g.maxScrollTop;
    } else if (
      previous &&
      (previous.scale !== g.scale || previous.maxScrollTop !== g.maxScrollTop)
    ) {
      // More lines changed the scroll scale: keep the same lines on screen.
      scrollTop =
        this._anchor >= g.maxVirtualTop
          ? g.maxScrollTop
          : Math.min(g.maxScrollTop, this._anchor / g.scale);
    }
    if (Math.abs(viewport.scrollTop - scrollTop) >= 1) {
      viewport.scrollTop = scrollTop;
    }
    this._lastGeometry = g;
    this._anchor = virtualTop(g, scrollTop);

    const win = renderWindow(g, scrollTop, OVERSCAN);
    this._firstVisible = win.firstVisible;
    this._rowsLayer.style.transform = `translateY(${win.layerTop}px)`;
    const digits = String(Math.max(1, g.lineCount)).length;
    if (digits !== this._gutterDigits) {
      this._gutterDigits = digits;
      this._rowsLayer.style.setProperty('--jp-repo2docker-log-gutter', `${digits}ch`);
    }

    const count = win.last - win.first;
    while (this._rows.length < count) {
      const row = document.createElement('div');
      row.className = LogViewClasses.line;
      const number = document.createElement('span');
      number.className = LogViewClasses.lineNumber;
      const text = document.createElement('span');
      text.className = LogViewClasses.lineText;
      row.append(number, text);
      this._rowsLayer.appendChild(row);
      this._rows.push(row);
      this._rowKeys.push(-1);
      this._rowLines.push(-1);
    }
    const lines = this.model.lines;
    const errorLine = this.model.firstErrorLine;
    if (errorLine !== this._shownErrorLine) {
      // The marked line changed: draw every row again.
      this._shownErrorLine = errorLine;
      this._rowKeys.fill(-1);
    }
    const version = this.model.searchVersion;
    const current = this.model.currentMatch;
    for (let k = 0; k < this._rows.length; k++) {
      const row = this._rows[k];
      if (k >= count) {
        if (this._rowLines[k] !== -1) {
          row.style.display = 'none';
          this._rowLines[k] = -1;
        }
        continue;
      }
      const i = win.first + k;
      if (this._rowLines[k] === i && this._rowKeys[k] === version) {
        continue;
      }
      if (this._rowLines[k] === -1) {
        row.style.display = '';
      }
      this._rowLines[k] = i;
      this._rowKeys[k] = version;
      (row.firstChild as HTMLElement).textContent = String(i + 1);
      renderLine(
        row.lastChild as HTMLElement,
        lines.text(i),
        lines.raw(i),
        this.model.highlightsFor(i)
      );
      row.classList.toggle(LogViewClasses.currentLine, current !== null && current.line === i);
      row.classList.toggle(LogViewClasses.errorLine, i === errorLine);
    }

    this._jump.hidden = this._follow || g.maxScrollTop <= 0;
    this._renderEmpty();

    if (this._errorJumpPending && this.model.firstErrorLine !== null && g.viewportHeight > 0) {
      this._errorJumpPending = false;
      this.jumpToError();
      return;
    }

    // New rows may have brought a horizontal scrollbar, which shortens the viewport: lay out
    // once more so the last line is not left under it.
    if (!this._relayout && viewport.clientHeight !== g.viewportHeight) {
      this._relayout = true;
      try {
        this._render();
      } finally {
        this._relayout = false;
      }
    }
  }

  private _renderHeader(): void {
    const model = this.model;
    const trans = this._trans;
    const phase: BuildPhase | null = model.phase;
    const phaseKey = phase ?? 'waiting';
    if (phaseKey !== this._shownPhase) {
      this._shownPhase = phaseKey;
      this._phaseNode.dataset.phase = phaseKey;
      this._phaseIcon.textContent = '';
      if (phase) {
        this._phaseIcon.appendChild(
          PHASE_ICONS[phase].element({ tag: 'span', elementPosition: 'center' })
        );
      }
      this._phaseText.textContent = phaseLabel(trans, phase);
    }
    const progress = model.progress;
    this._setText(
      this._progressNode,
      progress && !model.isFinal ? trans.__('Step %1/%2', progress.current, progress.total) : ''
    );
    const elapsed = model.elapsed();
    this._setText(this._elapsedNode, elapsed === null ? '' : formatDuration(elapsed, trans));
    this._setText(
      this._lineCountNode,
      trans._n('%2 line', '%2 lines', model.lineCount, model.lineCount.toLocaleString())
    );
    const errorLine = model.firstErrorLine;
    this._errorButton.hidden = errorLine === null;
    this._setText(
      this._errorButton,
      errorLine === null ? '' : trans.__('First error: line %1', (errorLine + 1).toLocaleString())
    );
    this._errorButton.title = trans.__('Scroll to the first line that reports an error');
    const connection = model.connection;
    this._retry.hidden = !(connection.status === 'error' && connection.code === 'gave_up');
    this._connectionNode.dataset.status = connection.status;
    this._setText(this._connectionNode, connectionLabel(trans, connection));
    this._connectionNode.title = connection.status === 'reconnecting' ? connection.reason : '';
  }

  private _renderEmpty(): void {
    const connection = this.model.connection;
    let text = '';
    if (this.model.lineCount === 0) {
      text =
        connection.status === 'error'
          ? connection.message
          : connection.status === 'ended'
            ? this._trans.__('This build has no log lines.')
            : this._trans.__('Waiting for the build log…');
    }
    this._empty.hidden = text === '';
    this._empty.dataset.status = connection.status;
    this._setText(this._empty, text);
  }

  private _renderSearchBar(): void {
    const search = this.model.search;
    let text = '';
    if (search.query) {
      if (search.total === 0) {
        text = this._trans.__('No results');
      } else {
        const total = search.total.toLocaleString() + (search.capped ? '+' : '');
        text = this._trans.__('%1 of %2', (search.current + 1).toLocaleString(), total);
      }
    }
    this._setText(this._searchCount, text);
    this._searchBar.classList.toggle('jp-mod-noResults', !!search.query && search.total === 0);
    this._prevButton.disabled = search.total === 0;
    this._nextButton.disabled = search.total === 0;
  }

  private _setText(node: HTMLElement, text: string): void {
    if (node.textContent !== text) {
      node.textContent = text;
    }
  }

  // ---- events ------------------------------------------------------------------------------

  private _frame: { cancel: () => void } | null = null;

  private _onLinesAdded(): void {
    this._scheduleRender();
  }

  private _onStateChanged(): void {
    this._syncTicker();
    this._scheduleRender();
  }

  private _onSearchChanged(): void {
    this._scheduleRender();
  }

  private _onScroll(): void {
    const v = this._viewport;
    // Follow the tail exactly when the user is at the bottom (logconsole's rule).
    this._follow = v.scrollTop >= v.scrollHeight - v.clientHeight - 2;
    this._scheduleRender();
  }

  /** Render in the next animation frame, once, however often this is called before it. */
  private _scheduleRender(): void {
    if (this._frame !== null || this.isDisposed) {
      return;
    }
    const run = (): void => {
      this._frame = null;
      if (!this.isDisposed && this.isAttached) {
        this._render();
      }
    };
    this._frame =
      typeof requestAnimationFrame === 'function'
        ? { cancel: ((id: number) => () => cancelAnimationFrame(id))(requestAnimationFrame(run)) }
        : { cancel: ((id: ReturnType<typeof setTimeout>) => () => clearTimeout(id))(setTimeout(run, 16)) };
  }

  private _onKeydown(event: KeyboardEvent): void {
    if (event.target === this._viewport) {
      // The user works the log with the keyboard now: show where the focus is.
      this._viewport.classList.remove(LogViewClasses.quietFocus);
    }
    const accel = event.ctrlKey || event.metaKey;
    if (accel && !event.altKey && (event.key === 'f' || event.key === 'F')) {
      event.preventDefault();
      event.stopPropagation();
      this.toggleSearch(true);
    } else if (event.key === 'End' && accel && event.target === this._viewport) {
      event.preventDefault();
      this.jumpToLatest();
    } else if (event.key === 'Home' && accel && event.target === this._viewport) {
      event.preventDefault();
      this.scrollToLine(0, 'start');
    }
  }

  private _onSearchKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      if (this._searchTimer !== undefined || this._searchInput.value !== this.model.search.query) {
        // Typed but not searched yet: search now and show the first match.
        this._applyQuery();
        if (!event.shiftKey) {
          return;
        }
      }
      if (event.shiftKey) {
        this.previousMatch();
      } else {
        this.nextMatch();
      }
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      this._setSearchVisible(false, false);
    }
  }

  private _scheduleQuery(): void {
    clearTimeout(this._searchTimer);
    const delay = this.model.lineCount > 100_000 ? SEARCH_DEBOUNCE * 2 : SEARCH_DEBOUNCE;
    this._searchTimer = setTimeout(() => this._applyQuery(), delay);
  }

  private _applyQuery(): void {
    clearTimeout(this._searchTimer);
    this._searchTimer = undefined;
    const before = this.model.search.query;
    // Like a browser's find: the first match from the top of the screen on (wrapping).
    this.model.setQuery(this._searchInput.value, this._firstVisible);
    if (this.model.search.query !== before && this.model.currentMatch) {
      this._revealCurrentMatch();
    }
  }

  private _revealCurrentMatch(): void {
    const match = this.model.currentMatch;
    if (!match) {
      return;
    }
    this.scrollToLine(match.line, 'nearest');
    // Horizontally, bring the match into view if it is off screen.
    const v = this._viewport;
    const gutter = (this._gutterDigits + 2) * this._charWidth;
    const x = gutter + match.column * this._charWidth;
    const width = v.clientWidth;
    if (
      width > 0 &&
      (x < v.scrollLeft + gutter || x + match.length * this._charWidth > v.scrollLeft + width)
    ) {
      v.scrollLeft = Math.max(0, x - width / 3);
    }
  }

  // ---- elapsed-time ticker -----------------------------------------------------------------

  private _syncTicker(): void {
    const status = this.model.connection.status;
    const needed =
      this.isAttached &&
      !this.model.isDisposed &&
      ((!this.model.isFinal && status !== 'error' && status !== 'idle') ||
        status === 'reconnecting');
    if (needed && this._ticker === undefined) {
      this._ticker = setInterval(() => this._renderHeader(), 1000);
    } else if (!needed) {
      this._stopTicker();
    }
  }

  private _stopTicker(): void {
    if (this._ticker !== undefined) {
      clearInterval(this._ticker);
      this._ticker = undefined;
    }
  }

  private _trans: TranslationBundle;
  private _phaseNode!: HTMLElement;
  private _phaseIcon!: HTMLElement;
  private _phaseText!: HTMLElement;
  private _progressNode!: HTMLElement;
  private _elapsedNode!: HTMLElement;
  private _lineCountNode!: HTMLElement;
  private _connectionNode!: HTMLElement;
  private _searchBar!: HTMLDivElement;
  private _searchInput!: HTMLInputElement;
  private _searchCount!: HTMLElement;
  private _prevButton!: HTMLButtonElement;
  private _nextButton!: HTMLButtonElement;
  private _viewport!: HTMLDivElement;
  private _spacer!: HTMLDivElement;
  private _rowsLayer!: HTMLDivElement;
  private _empty!: HTMLDivElement;
  private _jump!: HTMLButtonElement;
  private _retry!: HTMLButtonElement;
  private _errorButton!: HTMLButtonElement;
  private _errorJumpPending = false;
  private _shownErrorLine: number | null = null;
  private _rows: HTMLDivElement[] = [];
  /** Line shown by each row (-1: hidden). */
  private _rowLines: number[] = [];
  /** Search version each row was drawn with. */
  private _rowKeys: number[] = [];
  private _rowHeight = DEFAULT_ROW_HEIGHT;
  private _charWidth = DEFAULT_CHAR_WIDTH;
  private _spacerHeight = -1;
  private _gutterDigits = 0;
  private _lastGeometry: IViewportGeometry | null = null;
  private _anchor = 0;
  private _firstVisible = 0;
  private _follow = true;
  private _relayout = false;
  private _shownPhase = '';
  private _searchTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _ticker: ReturnType<typeof setInterval> | undefined = undefined;
  private _searchVisibilityChanged = new Signal<this, boolean>(this);
}
