/**
 * The search bar of a build log: the query field (searched after a short pause in typing), the
 * match count, previous/next and close. Its field's own keys stay its own (Enter, Shift+Enter,
 * Escape), like JupyterLab's find box; what the query does to the log is the view's to do.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretUpIcon,
  closeIcon
} from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import { el, LogViewClasses, setText } from './classes';
import type { LogModel } from './logModel';

/** Wait this long after typing before searching a long log (ms). */
const SEARCH_DEBOUNCE = 120;

/** What the bar asks of the view. */
export interface ILogSearchActions {
  /** Search for `query` now. */
  apply(query: string): void;
  next(): void;
  previous(): void;
  /** Close the bar; `quiet` after a click (the focus goes back without a ring). */
  close(quiet: boolean): void;
}

export class LogSearchBar extends Widget {
  constructor(options: {
    model: LogModel;
    trans: TranslationBundle;
    actions: ILogSearchActions;
  }) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this._actions = options.actions;
    this.addClass(LogViewClasses.search);
    // `hidden` (not Lumino's hide()): the bar is part of the view's own layout and CSS.
    this.node.hidden = true;
    this._buildDom();
  }

  /** Whether the bar is shown. */
  get shown(): boolean {
    return !this.node.hidden;
  }
  set shown(value: boolean) {
    this.node.hidden = !value;
    if (!value) {
      this.cancelPending();
    }
  }

  /** What is typed in the field. */
  get query(): string {
    return this._input.value;
  }
  set query(value: string) {
    this._input.value = value;
  }

  /** Whether the field holds something typed but not searched yet. */
  get pending(): boolean {
    return (
      this._timer !== undefined ||
      this._input.value !== this._model.search.query
    );
  }

  /** Whether the keyboard focus is in the bar. */
  get hasFocus(): boolean {
    return this.node.contains(document.activeElement);
  }

  /** Focus the field and select its text (to type over it). */
  focusInput(): void {
    this._input.focus();
    this._input.select();
  }

  /** Forget a search scheduled by typing. */
  cancelPending(): void {
    clearTimeout(this._timer);
    this._timer = undefined;
  }

  /** Bring the count and buttons in line with the model's search. */
  render(): void {
    const search = this._model.search;
    let text = '';
    if (search.query) {
      if (search.total === 0) {
        text = this._trans.__('No results');
      } else {
        const total =
          search.total.toLocaleString() + (search.capped ? '+' : '');
        text = this._trans.__(
          '%1 of %2',
          (search.current + 1).toLocaleString(),
          total
        );
      }
    }
    setText(this._count, text);
    this.node.classList.toggle(
      'jp-mod-noResults',
      !!search.query && search.total === 0
    );
    this._prev.disabled = search.total === 0;
    this._next.disabled = search.total === 0;
  }

  dispose(): void {
    this.cancelPending();
    super.dispose();
  }

  private _buildDom(): void {
    const trans = this._trans;
    const bar = this.node;
    const input = el('input', LogViewClasses.searchInput, bar);
    input.type = 'text';
    input.spellcheck = false;
    input.placeholder = trans.__('Find in log');
    input.setAttribute('aria-label', trans.__('Find in log'));
    input.title = trans.__(
      'Enter: next match, Shift+Enter: previous, Escape: close'
    );
    input.addEventListener('input', () => this._schedule());
    input.addEventListener('keydown', event => this._onKeydown(event));
    this._input = input;
    this._count = el('span', LogViewClasses.searchCount, bar);
    this._count.setAttribute('aria-live', 'polite');
    const button = (
      icon: typeof closeIcon,
      title: string,
      onClick: () => void
    ) => {
      const b = el(
        'button',
        `${LogViewClasses.searchButton} jp-Button jp-mod-minimal`,
        bar
      );
      b.type = 'button';
      b.title = title;
      b.setAttribute('aria-label', title);
      b.appendChild(icon.element({ tag: 'span', elementPosition: 'center' }));
      b.addEventListener('click', onClick);
      return b;
    };
    this._prev = button(
      caretUpIcon,
      trans.__('Previous match (Shift+Enter)'),
      () => this._actions.previous()
    );
    this._next = button(caretDownIcon, trans.__('Next match (Enter)'), () =>
      this._actions.next()
    );
    button(closeIcon, trans.__('Close search (Escape)'), () =>
      this._actions.close(true)
    );
  }

  private _onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      if (this.pending) {
        // Typed but not searched yet: search now and show the first match.
        this.apply();
        if (!event.shiftKey) {
          return;
        }
      }
      if (event.shiftKey) {
        this._actions.previous();
      } else {
        this._actions.next();
      }
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      this._actions.close(false);
    }
  }

  /** Search for what is typed now. */
  apply(): void {
    this.cancelPending();
    this._actions.apply(this._input.value);
  }

  private _schedule(): void {
    clearTimeout(this._timer);
    const delay =
      this._model.lineCount > 100_000 ? SEARCH_DEBOUNCE * 2 : SEARCH_DEBOUNCE;
    this._timer = setTimeout(() => this.apply(), delay);
  }

  private _model: LogModel;
  private _trans: TranslationBundle;
  private _actions: ILogSearchActions;
  private _input!: HTMLInputElement;
  private _count!: HTMLElement;
  private _prev!: HTMLButtonElement;
  private _next!: HTMLButtonElement;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
}
