/**
 * The virtual viewport of a build log: a scroll container with one spacer as tall as the log,
 * and only the rows on screen (plus some overscan) in the DOM.
 *
 * Rows have one fixed height; past 10M px the scroll position maps proportionally onto the
 * lines (see `viewport.ts`), so a million lines or ten scroll as smoothly as a hundred. It
 * follows the end of the log while the user is at the bottom, keeps the same lines on screen
 * when more lines change the scale, and marks the first error line.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { renderLine } from './ansi';
import { el, LogViewClasses, setText } from './classes';
import type { LogModel } from './logModel';
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

export class LogViewport extends Widget {
  constructor(options: {
    model: LogModel;
    trans: TranslationBundle;
    /** What the log is called, for screen readers. */
    label: string;
    /** Ask for a render in the next frame (scrolls, resizes). */
    requestRender: () => void;
  }) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this._requestRender = options.requestRender;
    this.addClass(LogViewClasses.body);
    this._scroller = el('div', LogViewClasses.viewport, this.node);
    this._scroller.tabIndex = 0;
    this._scroller.setAttribute('role', 'region');
    this._scroller.setAttribute(
      'aria-label',
      options.trans.__('Build log of %1', options.label)
    );
    this._spacer = el('div', LogViewClasses.spacer, this._scroller);
    this._rowsLayer = el('div', LogViewClasses.rows, this._spacer);
    this._empty = el('div', LogViewClasses.empty, this.node);
  }

  /** Whether the viewport follows the end of the log. */
  get following(): boolean {
    return this._follow;
  }

  /** Whether "jump to latest" makes sense: not following, and there is somewhere to scroll. */
  get jumpVisibleChanged(): ISignal<this, boolean> {
    return this._jumpVisibleChanged;
  }

  /** The row height in px (measured from the theme's code font). */
  get rowHeight(): number {
    return this._rowHeight;
  }

  /** The first line on screen (0-based), as last rendered. */
  get firstVisible(): number {
    return this._firstVisible;
  }

  /** Scroll to the end and follow it again. */
  jumpToLatest(): void {
    this._follow = true;
    this.render();
  }

  /** Scroll so that `line` (0-based) is shown; stops following the tail. */
  scrollToLine(line: number, align: LineAlignment = 'center'): void {
    const g = this._geometry();
    this._applySpacer(g);
    const top = scrollTopForLine(g, line, align, this._scroller.scrollTop);
    this._follow = false;
    this._scroller.scrollTop = top;
    this._lastGeometry = g;
    this._anchor = virtualTop(g, top);
    this.render();
  }

  /** Scroll to the first line that reports an error, if any; returns whether there is one. */
  jumpToError(): boolean {
    const line = this._model.firstErrorLine;
    if (line === null) {
      return false;
    }
    this.scrollToLine(line, 'center');
    return true;
  }

  /** Scroll to the first error once it is known and the viewport has a size (once). */
  jumpToErrorWhenKnown(): void {
    this._errorJumpPending = true;
  }

  /** Bring the current match on screen, vertically and horizontally. */
  revealCurrentMatch(): void {
    const match = this._model.currentMatch;
    if (!match) {
      return;
    }
    this.scrollToLine(match.line, 'nearest');
    // Horizontally, bring the match into view if it is off screen.
    const v = this._scroller;
    const gutter = (this._gutterDigits + 2) * this._charWidth;
    const x = gutter + match.column * this._charWidth;
    const width = v.clientWidth;
    if (
      width > 0 &&
      (x < v.scrollLeft + gutter ||
        x + match.length * this._charWidth > v.scrollLeft + width)
    ) {
      v.scrollLeft = Math.max(0, x - width / 3);
    }
  }

  /**
   * Focus the log. `quiet`: for focus given by code after a mouse action, which draws no focus
   * ring (the ring comes back once the user types in the log or tabs to it).
   */
  focusLog(quiet: boolean): void {
    const viewport = this._scroller;
    viewport.classList.toggle(LogViewClasses.quietFocus, quiet);
    // `focusVisible` (where the browser knows it) says the same to the browser itself.
    const options = quiet
      ? { preventScroll: true, focusVisible: false }
      : { preventScroll: true };
    viewport.focus(options as FocusOptions);
  }

  /** Bring the rows in line with the model and the scroll position. */
  render(): void {
    if (this.isDisposed || !this.isVisible) {
      return;
    }
    const viewport = this._scroller;
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
    this._renderedScrollTop = viewport.scrollTop;
    this._lastGeometry = g;
    this._anchor = virtualTop(g, scrollTop);

    const win = renderWindow(g, scrollTop, OVERSCAN);
    this._firstVisible = win.firstVisible;
    this._rowsLayer.style.transform = `translateY(${win.layerTop}px)`;
    const digits = String(Math.max(1, g.lineCount)).length;
    if (digits !== this._gutterDigits) {
      this._gutterDigits = digits;
      this._rowsLayer.style.setProperty(
        '--jp-repo2docker-log-gutter',
        `${digits}ch`
      );
    }
    this._renderRows(win.first, win.last - win.first);

    const jumpVisible = !(this._follow || g.maxScrollTop <= 0);
    if (jumpVisible !== this._jumpVisible) {
      this._jumpVisible = jumpVisible;
      this._jumpVisibleChanged.emit(jumpVisible);
    }
    this._renderEmpty();

    if (
      this._errorJumpPending &&
      this._model.knownErrorLine !== null &&
      g.viewportHeight > 0
    ) {
      this._errorJumpPending = false;
      this.jumpToError();
      return;
    }

    // New rows may have brought a horizontal scrollbar, which shortens the viewport: lay out
    // once more so the last line is not left under it.
    if (!this._relayout && viewport.clientHeight !== g.viewportHeight) {
      this._relayout = true;
      try {
        this.render();
      } finally {
        this._relayout = false;
      }
    }
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'scroll':
        this._onScroll();
        break;
      case 'keydown':
        // The user works the log with the keyboard now: show where the focus is.
        this._scroller.classList.remove(LogViewClasses.quietFocus);
        break;
      case 'blur':
        // Focus that comes back later (Tab from the search bar) is the keyboard's: show it.
        this._scroller.classList.remove(LogViewClasses.quietFocus);
        break;
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._scroller.addEventListener('scroll', this, { passive: true });
    this._scroller.addEventListener('blur', this);
    this._scroller.addEventListener('keydown', this);
    this.measure();
  }

  protected onBeforeDetach(msg: Message): void {
    this._scroller.removeEventListener('scroll', this);
    this._scroller.removeEventListener('blur', this);
    this._scroller.removeEventListener('keydown', this);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.measure();
    this._requestRender();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this.measure();
    this._requestRender();
  }

  /** Measure row height and character width from the theme's code font. */
  measure(): void {
    const probe = el('div', LogViewClasses.line);
    probe.style.position = 'absolute';
    probe.style.visibility = 'hidden';
    probe.style.height = 'auto';
    // The theme's code line height (inherited from the viewport), not the row height set before.
    probe.style.lineHeight = 'inherit';
    const text = el('span', LogViewClasses.lineText, probe);
    text.textContent = 'M'.repeat(40);
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
    this._rowsLayer.style.setProperty(
      '--jp-repo2docker-log-row-height',
      `${this._rowHeight}px`
    );
  }

  /** Draw rows `[first, first + count)`, reusing row elements; only changed rows are redrawn. */
  private _renderRows(first: number, count: number): void {
    while (this._rows.length < count) {
      const row = el('div', LogViewClasses.line, this._rowsLayer);
      el('span', LogViewClasses.lineNumber, row);
      el('span', LogViewClasses.lineText, row);
      this._rows.push(row);
      this._rowKeys.push(-1);
      this._rowLines.push(-1);
    }
    const model = this._model;
    const lines = model.lines;
    const errorLine = model.knownErrorLine;
    if (errorLine !== this._shownErrorLine) {
      // The marked line changed: draw every row again.
      this._shownErrorLine = errorLine;
      this._rowKeys.fill(-1);
    }
    const version = model.searchVersion;
    const current = model.currentMatch;
    for (let k = 0; k < this._rows.length; k++) {
      const row = this._rows[k];
      if (k >= count) {
        if (this._rowLines[k] !== -1) {
          row.style.display = 'none';
          this._rowLines[k] = -1;
        }
        continue;
      }
      const i = first + k;
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
        model.highlightsFor(i)
      );
      row.classList.toggle(
        LogViewClasses.currentLine,
        current !== null && current.line === i
      );
      row.classList.toggle(LogViewClasses.errorLine, i === errorLine);
    }
  }

  private _renderEmpty(): void {
    const connection = this._model.connection;
    let text = '';
    if (this._model.lineCount === 0) {
      text =
        connection.status === 'error'
          ? connection.message
          : connection.status === 'ended'
            ? this._trans.__('This build has no log lines.')
            : this._trans.__('Waiting for the build log…');
    }
    this._empty.hidden = text === '';
    this._empty.dataset.status = connection.status;
    setText(this._empty, text);
  }

  private _geometry(): IViewportGeometry {
    return computeGeometry(
      this._model.lineCount,
      this._rowHeight,
      this._scroller.clientHeight
    );
  }

  private _applySpacer(g: IViewportGeometry): void {
    if (g.spacerHeight !== this._spacerHeight) {
      this._spacerHeight = g.spacerHeight;
      this._spacer.style.height = `${g.spacerHeight}px`;
    }
  }

  private _onScroll(): void {
    // Scrolling frames come first: the model's background scan waits until it stops.
    this._model.deferBackgroundWork();
    const v = this._scroller;
    // Follow the tail exactly when the user is at the bottom (logconsole's rule).
    const follow = v.scrollTop >= v.scrollHeight - v.clientHeight - 2;
    // The scroll that `render` made itself (following the tail) is drawn already: another render
    // for it would double the frames drawn while a log streams in.
    if (
      follow === this._follow &&
      Math.abs(v.scrollTop - this._renderedScrollTop) < 1
    ) {
      return;
    }
    this._follow = follow;
    this._requestRender();
  }

  private _model: LogModel;
  private _trans: TranslationBundle;
  private _requestRender: () => void;
  private _scroller: HTMLDivElement;
  private _spacer: HTMLDivElement;
  private _rowsLayer: HTMLDivElement;
  private _empty: HTMLDivElement;
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
  /** `scrollTop` as the last render left it. */
  private _renderedScrollTop = -1;
  private _firstVisible = 0;
  private _follow = true;
  private _relayout = false;
  private _jumpVisible = false;
  private _jumpVisibleChanged = new Signal<this, boolean>(this);
}
