import type {
  BuildLogEvent,
  BuildPhase
} from '@jupyterlab-repo2docker/service/contract';
import { MessageLoop } from '@lumino/messaging';
import type { ToolbarButton } from '@jupyterlab/ui-components';
import { PanelLayout, Widget } from '@lumino/widgets';
import {
  BuildLogView,
  BuildLogWidget,
  LogModel,
  LogViewClasses,
  type ILogStreamSource
} from '../../logs';
import { withLogShortcuts } from './shortcuts';

const NodeReadableStream = (new Response('').body as any)
  .constructor as typeof ReadableStream;
const encoder = new TextEncoder();

/** A source whose one stream the test feeds. */
class Source implements ILogStreamSource {
  calls: Array<{
    buildId: string;
    lastEventId: number | null;
    signal: AbortSignal;
  }> = [];
  controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  status = 200;

  async openLogStream(
    buildId: string,
    lastEventId: number | null,
    signal: AbortSignal
  ): Promise<Response> {
    this.calls.push({ buildId, lastEventId, signal });
    if (this.status !== 200) {
      return new Response(
        JSON.stringify({ error: { code: 'x', message: 'nope' } }),
        {
          status: this.status
        }
      );
    }
    const stream = new NodeReadableStream<Uint8Array>({
      start: c => {
        this.controller = c;
      }
    });
    signal.addEventListener('abort', () => {
      try {
        this.controller?.error(new DOMException('aborted', 'AbortError'));
      } catch {
        // closed already
      }
    });
    return new Response(stream as any, {
      headers: { 'Content-Type': 'text/event-stream' }
    });
  }

  send(events: BuildLogEvent[]): void {
    this.controller!.enqueue(
      encoder.encode(
        events
          .map(e => `id: ${e.seq}\nevent: log\ndata: ${JSON.stringify(e)}\n\n`)
          .join('')
      )
    );
  }
}

let seq = 0;
function ev(
  message: string,
  phase: BuildPhase = 'building',
  progress?: { current: number; total: number }
): BuildLogEvent {
  seq++;
  return {
    seq,
    phase,
    message,
    time: new Date().toISOString(),
    ...(progress ? { progress } : {})
  };
}

const tick = (ms = 0) => new Promise(resolve => setTimeout(resolve, ms));

/** jsdom does no layout: give the viewport a size. */
function sizeViewport(
  view: BuildLogView,
  height = 170,
  width = 800
): HTMLElement {
  const viewport = view.node.querySelector(
    `.${LogViewClasses.viewport}`
  ) as HTMLElement;
  Object.defineProperty(viewport, 'clientHeight', {
    configurable: true,
    get: () => height
  });
  Object.defineProperty(viewport, 'clientWidth', {
    configurable: true,
    get: () => width
  });
  Object.defineProperty(viewport, 'scrollHeight', {
    configurable: true,
    get: () =>
      parseFloat((viewport.firstChild as HTMLElement).style.height || '0')
  });
  return viewport;
}

function renderedRows(view: BuildLogView): Array<[string, string]> {
  return Array.from(
    view.node.querySelectorAll<HTMLElement>(`.${LogViewClasses.line}`)
  )
    .filter(row => row.style.display !== 'none')
    .map(row => [row.firstChild!.textContent!, row.lastChild!.textContent!]);
}

function text(view: BuildLogView, cls: string): string {
  return view.node.querySelector(`.${cls}`)!.textContent!;
}

describe('BuildLogWidget', () => {
  let widget: BuildLogWidget;
  let source: Source;

  beforeEach(() => {
    source = new Source();
    widget = new BuildLogWidget({
      buildId: 'abc/123',
      label: 'r2d-alice/demo:1f2e',
      source
    });
  });

  afterEach(() => {
    if (!widget.isDisposed) {
      widget.dispose();
    }
  });

  it('has a stable id, a closable tab with the label, and a toolbar', () => {
    expect(widget.id).toBe('repo2docker-log-abc_123');
    expect(widget.buildId).toBe('abc/123');
    expect(widget.content.buildId).toBe('abc/123');
    expect(widget.content.model).toBeInstanceOf(LogModel);
    expect(widget.title.closable).toBe(true);
    expect(widget.title.label).toBe('r2d-alice/demo:1f2e');
    const names = Array.from(widget.toolbar.names());
    expect(names).toEqual(
      expect.arrayContaining(['search', 'copy', 'download'])
    );
  });

  it('opens the stream only once attached, and aborts it when disposed', async () => {
    await tick();
    expect(source.calls).toHaveLength(0);
    Widget.attach(widget, document.body);
    await tick();
    expect(source.calls).toEqual([
      { buildId: 'abc/123', lastEventId: null, signal: expect.any(AbortSignal) }
    ]);
    const signal = source.calls[0].signal;
    expect(signal.aborted).toBe(false);
    widget.dispose();
    expect(signal.aborted).toBe(true);
  });

  it('shows phase, progress, connection and lines, and follows the tail', async () => {
    Widget.attach(widget, document.body);
    const view = widget.content;
    const viewport = sizeViewport(view, 170);
    await tick();
    view.renderNow();
    expect(text(view, LogViewClasses.empty)).toMatch(/Waiting/);

    const lines: string[] = [];
    for (let i = 1; i <= 100; i++) {
      lines.push(`line ${i}`);
    }
    source.send([
      ev(lines.slice(0, 50).join('\n'), 'fetching'),
      ev(lines.slice(50).join('\n'), 'building', { current: 2, total: 5 })
    ]);
    await tick(10);
    view.renderNow();

    expect(view.model.lineCount).toBe(100);
    expect(text(view, LogViewClasses.phase)).toBe('Building');
    expect(
      (view.node.querySelector(`.${LogViewClasses.phase}`) as HTMLElement)
        .dataset.phase
    ).toBe('building');
    expect(text(view, LogViewClasses.progress)).toBe('Step 2/5');
    expect(text(view, LogViewClasses.connection)).toBe('Live');
    expect(text(view, LogViewClasses.lineCount)).toBe('100 lines');
    expect(widget.title.label).toBe('r2d-alice/demo:1f2e · Building');
    expect(
      (view.node.querySelector(`.${LogViewClasses.empty}`) as HTMLElement)
        .hidden
    ).toBe(true);

    // Following: scrolled to the bottom, the last line rendered, no jump button.
    const h = view.rowHeight;
    expect(viewport.scrollTop).toBe(100 * h - 170);
    const rows = renderedRows(view);
    expect(rows[rows.length - 1]).toEqual(['100', 'line 100']);
    expect(rows.length).toBeLessThan(40); // only what is on screen plus overscan
    expect(view.following).toBe(true);
    const jump = view.node.querySelector(
      `.${LogViewClasses.jump}`
    ) as HTMLButtonElement;
    expect(jump.hidden).toBe(true);

    // The user scrolls up: no more following, and the jump button shows.
    viewport.scrollTop = 0;
    viewport.dispatchEvent(new Event('scroll'));
    expect(view.following).toBe(false);
    source.send([ev('line 101')]);
    await tick(10);
    view.renderNow();
    expect(viewport.scrollTop).toBe(0);
    expect(renderedRows(view)[0]).toEqual(['1', 'line 1']);
    expect(jump.hidden).toBe(false);

    // Jump to latest: back at the end, following again.
    jump.click();
    expect(view.following).toBe(true);
    expect(viewport.scrollTop).toBe(101 * h - 170);
    const after = renderedRows(view);
    expect(after[after.length - 1]).toEqual(['101', 'line 101']);
    expect(jump.hidden).toBe(true);

    // Scrolling back to the bottom by hand also resumes following.
    viewport.scrollTop = 10;
    viewport.dispatchEvent(new Event('scroll'));
    expect(view.following).toBe(false);
    viewport.scrollTop = 101 * h - 170;
    viewport.dispatchEvent(new Event('scroll'));
    expect(view.following).toBe(true);

    // The final event: fixed phase, ended connection, tab title.
    source.send([ev('done', 'built')]);
    await tick(10);
    view.renderNow();
    expect(text(view, LogViewClasses.phase)).toBe('Built');
    expect(text(view, LogViewClasses.connection)).toBe('Log complete');
    expect(text(view, LogViewClasses.progress)).toBe('');
    expect(widget.title.label).toBe('r2d-alice/demo:1f2e · Built');
    expect(widget.hasClass('jp-mod-phase-built')).toBe(true);
  });

  it('searches with a count, highlights the current match and scrolls to it', async () => {
    Widget.attach(widget, document.body);
    const view = widget.content;
    const viewport = sizeViewport(view, 170);
    await tick();
    const lines: string[] = [];
    for (let i = 0; i < 500; i++) {
      lines.push(
        i % 100 === 42 ? `\x1b[31mERROR\x1b[0m at ${i}: error` : `ok ${i}`
      );
    }
    source.send([ev(lines.join('\n'))]);
    await tick(10);

    view.toggleSearch(true);
    const input = view.node.querySelector(
      `.${LogViewClasses.searchInput}`
    ) as HTMLInputElement;
    expect(
      (view.node.querySelector(`.${LogViewClasses.search}`) as HTMLElement)
        .hidden
    ).toBe(false);
    expect(document.activeElement).toBe(input);
    input.value = 'error';
    input.dispatchEvent(new Event('input'));
    // Enter before the debounce searches at once from the top of the screen (the end: we were
    // following), finds nothing below and wraps to the first match.
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    view.renderNow();
    expect(text(view, LogViewClasses.searchCount)).toBe('1 of 10');
    expect(view.following).toBe(false);
    let current = view.node.querySelector(
      'mark.jp-Repo2DockerLog-match-current'
    )!;
    expect(current.textContent).toBe('ERROR');
    expect(
      current.closest(`.${LogViewClasses.line}`)!.firstChild!.textContent
    ).toBe('43');
    const h = view.rowHeight;
    expect(viewport.scrollTop).toBeGreaterThan(42 * h - 170);
    expect(viewport.scrollTop).toBeLessThanOrEqual(42 * h);

    // Enter: the next match, on the same line, then further down.
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    view.renderNow();
    expect(text(view, LogViewClasses.searchCount)).toBe('2 of 10');
    current = view.node.querySelector('mark.jp-Repo2DockerLog-match-current')!;
    expect(current.textContent).toBe('error');
    expect(
      current.closest(`.${LogViewClasses.line}`)!.firstChild!.textContent
    ).toBe('43');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    view.renderNow();
    expect(text(view, LogViewClasses.searchCount)).toBe('3 of 10');
    current = view.node.querySelector('mark.jp-Repo2DockerLog-match-current')!;
    expect(
      current.closest(`.${LogViewClasses.line}`)!.firstChild!.textContent
    ).toBe('143');
    expect(viewport.scrollTop).toBeGreaterThan(142 * h - 170);
    expect(viewport.scrollTop).toBeLessThanOrEqual(142 * h);

    // The coloured match keeps its colour class under the highlight.
    const marks = Array.from(
      current.closest(`.${LogViewClasses.line}`)!.querySelectorAll('mark')
    );
    expect(marks.map(m => m.textContent)).toEqual(['ERROR', 'error']);
    expect(marks[0].classList.contains('ansi-red-fg')).toBe(true);
    expect(marks[1].classList.contains('ansi-red-fg')).toBe(false);

    // Shift+Enter goes back; going back from the first wraps to the last.
    input.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true })
    );
    input.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true })
    );
    input.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true })
    );
    view.renderNow();
    expect(text(view, LogViewClasses.searchCount)).toBe('10 of 10');
    current = view.node.querySelector('mark.jp-Repo2DockerLog-match-current')!;
    expect(
      current.closest(`.${LogViewClasses.line}`)!.firstChild!.textContent
    ).toBe('443');
    view.nextMatch();
    view.renderNow();
    expect(text(view, LogViewClasses.searchCount)).toBe('1 of 10');

    // No results, then Escape closes the bar and clears the highlights.
    view.search('zebra');
    view.renderNow();
    expect(text(view, LogViewClasses.searchCount)).toBe('No results');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    view.renderNow();
    expect(view.searchVisible).toBe(false);
    expect(view.model.search.query).toBe('');
    expect(view.node.querySelector('mark')).toBeNull();
  });

  it('toggles search from the toolbar button state and Ctrl+F', async () => {
    Widget.attach(widget, document.body);
    // Ctrl+F is the `repo2docker:log-find` command's default shortcut (schema/plugin.json), as
    // JupyterLab dispatches it.
    const keys = withLogShortcuts(widget);
    const view = widget.content;
    const names = Array.from(widget.toolbar.names());
    const button = (widget.toolbar.layout as PanelLayout).widgets[
      names.indexOf('search')
    ] as ToolbarButton;
    expect(button.pressed).toBe(false);
    const event = new KeyboardEvent('keydown', {
      key: 'f',
      keyCode: 70,
      ctrlKey: true,
      bubbles: true,
      cancelable: true
    });
    view.node.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(view.searchVisible).toBe(true);
    expect(button.pressed).toBe(true);
    view.toggleSearch();
    expect(view.searchVisible).toBe(false);
    expect(button.pressed).toBe(false);
    keys.dispose();
  });

  it('takes the focus on activation without a focus ring, and shows it for the keyboard', () => {
    Widget.attach(widget, document.body);
    const view = widget.content;
    const viewport = view.node.querySelector(
      `.${LogViewClasses.viewport}`
    ) as HTMLElement;
    MessageLoop.sendMessage(view, Widget.Msg.ActivateRequest);
    expect(document.activeElement).toBe(viewport);
    expect(viewport).toHaveProperty('tabIndex', 0);
    expect(viewport.classList.contains(LogViewClasses.quietFocus)).toBe(true);

    // Keys pressed in the log: the user is on the keyboard, the ring may show.
    viewport.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true })
    );
    expect(viewport.classList.contains(LogViewClasses.quietFocus)).toBe(false);

    // Closing the search by a click gives the focus back quietly; by Escape, visibly.
    view.toggleSearch(true);
    view.toggleSearch(false);
    expect(document.activeElement).toBe(viewport);
    expect(viewport.classList.contains(LogViewClasses.quietFocus)).toBe(true);
    view.toggleSearch(true);
    const input = view.node.querySelector(
      `.${LogViewClasses.searchInput}`
    ) as HTMLElement;
    input.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })
    );
    expect(view.searchVisible).toBe(false);
    expect(document.activeElement).toBe(viewport);
    expect(viewport.classList.contains(LogViewClasses.quietFocus)).toBe(false);
  });

  it('tells the user to reload JupyterLab after a 401', async () => {
    source.status = 401;
    Widget.attach(widget, document.body);
    const view = widget.content;
    sizeViewport(view);
    await tick(10);
    view.renderNow();
    expect(text(view, LogViewClasses.connection)).toMatch(/Reload JupyterLab/);
    expect(text(view, LogViewClasses.empty)).toMatch(/Reload JupyterLab/);
    expect(source.calls).toHaveLength(1);
  });

  it('copies and downloads the whole plain-text log', async () => {
    Widget.attach(widget, document.body);
    const view = widget.content;
    await tick();
    source.send([ev('first\n\x1b[32msecond\x1b[0m')]);
    await tick(10);

    const writeText = jest.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText }
    });
    await expect(view.copyLog()).resolves.toBe(true);
    expect(writeText).toHaveBeenCalledWith('first\nsecond');

    const blobs: Blob[] = [];
    (URL as any).createObjectURL = jest.fn((b: Blob) => {
      blobs.push(b);
      return 'blob:fake';
    });
    (URL as any).revokeObjectURL = jest.fn();
    let downloaded = '';
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function (this: HTMLAnchorElement) {
        downloaded = this.download;
      });
    view.downloadLog();
    click.mockRestore();
    expect(downloaded).toBe('r2d-alice_demo_1f2e.log');
    expect(blobs).toHaveLength(1);
    expect(blobs[0].size).toBe('first\nsecond\n'.length);
  });

  it('batches DOM updates: many reads before a frame render once, in that frame', async () => {
    const model = new LogModel({ buildId: 'batch' });
    const view = new BuildLogView({ buildId: 'batch', model });
    Widget.attach(view, document.body);
    sizeViewport(view, 170);
    MessageLoop.flush();
    const render = jest.spyOn(view as any, '_render');
    // Drive animation frames by hand: each network read appends, and only the frame renders.
    const frames: FrameRequestCallback[] = [];
    const original = window.requestAnimationFrame;
    window.requestAnimationFrame = (callback: FrameRequestCallback) =>
      frames.push(callback);
    try {
      for (let i = 0; i < 200; i++) {
        model.appendEvents([ev(`line ${i}`)]);
        MessageLoop.flush(); // what runs between reads: no render there
      }
      expect(render).not.toHaveBeenCalled();
      expect(frames).toHaveLength(1);
      frames.splice(0).forEach(callback => callback(performance.now()));
      expect(render).toHaveBeenCalledTimes(1);
    } finally {
      window.requestAnimationFrame = original;
    }
    const rows = renderedRows(view);
    expect(rows[rows.length - 1]).toEqual(['200', 'line 199']);
    render.mockRestore();
    view.dispose();
  });

  it('renders a million lines with a scaled spacer and only a screenful of rows', async () => {
    const model = new LogModel({ buildId: 'm' });
    const view = new BuildLogView({ buildId: 'm', model });
    Widget.attach(view, document.body);
    const viewport = sizeViewport(view, 600);
    const events: BuildLogEvent[] = [];
    for (let i = 0; i < 1_000_000; i += 10_000) {
      const chunk: string[] = [];
      for (let j = i; j < i + 10_000; j++) {
        chunk.push(`row ${j}`);
      }
      events.push(ev(chunk.join('\n')));
    }
    model.appendEvents(events);
    MessageLoop.flush();
    view.renderNow();
    const spacer = viewport.firstChild as HTMLElement;
    expect(parseFloat(spacer.style.height)).toBe(10_000_000);
    let rows = renderedRows(view);
    expect(rows[rows.length - 1]).toEqual(['1000000', 'row 999999']);
    expect(rows.length).toBeLessThan(80);

    // Scroll to the middle of the range: the middle of the log shows.
    viewport.scrollTop = (10_000_000 - 600) / 2;
    viewport.dispatchEvent(new Event('scroll'));
    view.renderNow();
    rows = renderedRows(view);
    const middle = Number(rows[20][0]);
    expect(Math.abs(middle - 500_000)).toBeLessThan(100);

    // A new batch arrives while scrolled up: the same lines stay on screen.
    const before = renderedRows(view).map(r => r[0]);
    model.appendEvents([
      ev(Array.from({ length: 100_000 }, (_, k) => `more ${k}`).join('\n'))
    ]);
    view.renderNow();
    expect(renderedRows(view).map(r => r[0])).toEqual(before);

    // The search scrolls a far line into view.
    view.search('more 99999');
    view.renderNow();
    rows = renderedRows(view);
    expect(rows.some(r => r[1] === 'more 99999')).toBe(true);
    view.dispose();
  });
});

describe('BuildLogView: the first error of a failed build', () => {
  it('marks the first error line, and scrolls to it when the build fails', async () => {
    const source = new Source();
    const widget = new BuildLogWidget({
      buildId: 'failing',
      label: 'fail',
      source
    });
    Widget.attach(widget, document.body);
    const view = widget.content;
    const viewport = sizeViewport(view, 170);
    await tick();
    const events: BuildLogEvent[] = [];
    for (let i = 1; i <= 200; i++) {
      events.push(
        ev(
          i === 120
            ? '#6 ERROR: process "/bin/busybox sh -c exit 3" did not complete successfully: exit code: 3'
            : `line ${i}`
        )
      );
    }
    events.push(ev('ERROR: failed to solve: exit code: 3'));
    source.send(events);
    await tick(20);
    expect(view.model.firstErrorLine).toBe(119);
    source.send([ev('The build failed', 'failed')]);
    await tick(20);
    view.renderNow();
    // Not at the tail any more: the error line is on screen, and marked.
    expect(view.following).toBe(false);
    const marked = Array.from(
      view.node.querySelectorAll<HTMLElement>(`.${LogViewClasses.errorLine}`)
    ).filter(row => row.style.display !== 'none');
    expect(marked).toHaveLength(1);
    expect(marked[0].firstChild!.textContent).toBe('120');
    expect(viewport.scrollTop).toBeGreaterThan(0);
    const button = view.node.querySelector(
      `.${LogViewClasses.errorButton}`
    ) as HTMLButtonElement;
    expect(button.hidden).toBe(false);
    expect(button.textContent).toBe('First error: line 120');
    widget.dispose();
  });

  it('says a build the restarted service no longer knows has no log any more, and stops', async () => {
    const source = new Source();
    source.status = 404;
    const widget = new BuildLogWidget({
      buildId: 'lost',
      label: 'lost',
      source
    });
    Widget.attach(widget, document.body);
    await widget.content.model.start();
    widget.content.renderNow();
    expect(text(widget.content, LogViewClasses.connection)).toMatch(
      /^This build's log is gone: the service restarted/
    );
    expect(text(widget.content, LogViewClasses.empty)).toMatch(
      /the service restarted/
    );
    expect(source.calls).toHaveLength(1);
    const retry = widget.content.node.querySelector(
      `.${LogViewClasses.retryButton}`
    ) as HTMLButtonElement;
    // Nothing to retry: the service will not know the build again.
    expect(retry.hidden).toBe(true);
    widget.dispose();
  });
});
