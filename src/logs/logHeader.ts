/**
 * The header of a build log: phase, step progress, elapsed time, line count, connection, and
 * the buttons that act on the log (retry a stream that gave up, first error, jump to latest).
 * It renders the model; what its buttons ask for is the view's to do (`jumpRequested`).
 */

import type { BuildPhase } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { el, LogViewClasses, setText } from './classes';
import type { LogModel } from './logModel';
import {
  connectionLabel,
  formatDuration,
  PHASE_ICONS,
  phaseLabel
} from './phase';

/** Where a header button asks the view to scroll. */
export type LogJump = 'first-error' | 'latest';

export class LogHeader extends Widget {
  constructor(options: { model: LogModel; trans: TranslationBundle }) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this.addClass(LogViewClasses.header);
    this._buildDom();
    this._model.stateChanged.connect(this._syncTicker, this);
    this.render();
  }

  /** A button asked to scroll the log somewhere. */
  get jumpRequested(): ISignal<this, LogJump> {
    return this._jumpRequested;
  }

  /** Show "Jump to latest" (when the view does not follow the end and can scroll). */
  setJumpVisible(visible: boolean): void {
    this._jump.hidden = !visible;
  }

  /** Bring the header in line with the model. */
  render(): void {
    const model = this._model;
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
    setText(
      this._progressNode,
      progress && !model.isFinal
        ? trans.__('Step %1/%2', progress.current, progress.total)
        : ''
    );
    const elapsed = model.elapsed();
    setText(
      this._elapsedNode,
      elapsed === null ? '' : formatDuration(elapsed, trans)
    );
    setText(
      this._lineCountNode,
      trans._n(
        '%2 line',
        '%2 lines',
        model.lineCount,
        model.lineCount.toLocaleString()
      )
    );
    const errorLine = model.knownErrorLine;
    this._errorButton.hidden = errorLine === null;
    setText(
      this._errorButton,
      errorLine === null
        ? ''
        : trans.__('First error: line %1', (errorLine + 1).toLocaleString())
    );
    this._errorButton.title = trans.__(
      'Scroll to the first line that reports an error'
    );
    const connection = model.connection;
    this._retry.hidden = !(
      connection.status === 'error' && connection.code === 'gave_up'
    );
    this._connectionNode.dataset.status = connection.status;
    setText(this._connectionNode, connectionLabel(trans, connection));
    this._connectionNode.title =
      connection.status === 'reconnecting' ? connection.reason : '';
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTicker();
    Signal.clearData(this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._syncTicker();
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopTicker();
    super.onBeforeDetach(msg);
  }

  private _buildDom(): void {
    const trans = this._trans;
    const header = this.node;
    this._phaseNode = el('span', LogViewClasses.phase, header);
    this._phaseIcon = el(
      'span',
      `${LogViewClasses.phase}-icon`,
      this._phaseNode
    );
    this._phaseText = el(
      'span',
      `${LogViewClasses.phase}-text`,
      this._phaseNode
    );
    this._progressNode = el('span', LogViewClasses.progress, header);
    this._elapsedNode = el('span', LogViewClasses.elapsed, header);
    this._elapsedNode.title = trans.__('Elapsed time');
    this._lineCountNode = el('span', LogViewClasses.lineCount, header);
    this._connectionNode = el('span', LogViewClasses.connection, header);
    this._connectionNode.setAttribute('role', 'status');

    this._retry = el(
      'button',
      `${LogViewClasses.retryButton} jp-Button jp-mod-styled jp-mod-reject`,
      header
    );
    this._retry.type = 'button';
    this._retry.textContent = trans.__('Retry');
    this._retry.title = trans.__('Connect to the build log again');
    this._retry.hidden = true;
    this._retry.addEventListener('click', () => void this._model.retry());

    this._errorButton = el(
      'button',
      `${LogViewClasses.errorButton} jp-Button jp-mod-minimal`,
      header
    );
    this._errorButton.type = 'button';
    this._errorButton.hidden = true;
    this._errorButton.addEventListener('click', () =>
      this._jumpRequested.emit('first-error')
    );

    // In the header, where notifications (bottom right) never cover it.
    this._jump = el(
      'button',
      `${LogViewClasses.jump} jp-Button jp-mod-styled jp-mod-accept`,
      header
    );
    this._jump.type = 'button';
    this._jump.appendChild(
      caretDownIcon.element({ tag: 'span', elementPosition: 'center' })
    );
    el('span', `${LogViewClasses.jump}-text`, this._jump).textContent =
      trans.__('Jump to latest');
    this._jump.title = trans.__('Scroll to the end of the log and follow it');
    this._jump.hidden = true;
    this._jump.addEventListener('click', () =>
      this._jumpRequested.emit('latest')
    );
  }

  /** Tick the elapsed time each second while the build runs or the stream waits to reconnect. */
  private _syncTicker(): void {
    const status = this._model.connection.status;
    const needed =
      this.isAttached &&
      !this._model.isDisposed &&
      ((!this._model.isFinal && status !== 'error' && status !== 'idle') ||
        status === 'reconnecting');
    if (needed && this._ticker === undefined) {
      this._ticker = setInterval(() => this.render(), 1000);
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

  private _model: LogModel;
  private _trans: TranslationBundle;
  private _phaseNode!: HTMLElement;
  private _phaseIcon!: HTMLElement;
  private _phaseText!: HTMLElement;
  private _progressNode!: HTMLElement;
  private _elapsedNode!: HTMLElement;
  private _lineCountNode!: HTMLElement;
  private _connectionNode!: HTMLElement;
  private _retry!: HTMLButtonElement;
  private _errorButton!: HTMLButtonElement;
  private _jump!: HTMLButtonElement;
  private _shownPhase = '';
  private _ticker: ReturnType<typeof setInterval> | undefined = undefined;
  private _jumpRequested = new Signal<this, LogJump>(this);
}
