/**
 * The scale benchmark's page (bench/panel-scale.mts): the real Environments panel — the real
 * `EnvironmentsModel`, the real `Repo2DockerClient` and the React components — against the real
 * service, reached through the bench's same-origin proxy at `/svc/` (which adds the token).
 *
 * `ours`: the panel as shipped (a page of rows, the filter asked of the service).
 * `baseline`: the previous behaviour, the same panel with `imagePageSize: Infinity` — it asks
 * for the whole list, sorts and filters it here, and renders the first 50 rows.
 */
import '../../style/index.css';
import '../viewer/theme.css';
import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { Repo2DockerClient } from '../../src/client';
import { EnvironmentsPanel } from '../../src/components/EnvironmentsPanel';
import { EnvironmentsModel } from '../../src/model';

type Mode = 'ours' | 'baseline';

const trans = nullTranslator.load('jupyterlab_repo2docker');
let root: Root | null = null;
let model: EnvironmentsModel | null = null;

const frame = () =>
  new Promise<void>(resolve => requestAnimationFrame(() => resolve()));

/** Resolves once `test` holds after a DOM change, then two frames later (the rows painted). */
function painted(test: () => boolean, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error('timed out waiting for the rows'));
    }, timeoutMs);
    const check = () => {
      if (test()) {
        observer.disconnect();
        clearTimeout(timer);
        void frame()
          .then(frame)
          .then(() => resolve());
        return true;
      }
      return false;
    };
    const observer = new MutationObserver(() => void check());
    observer.observe(document.body, {
      childList: true,
      subtree: true,
      characterData: true
    });
    check();
  });
}

function rows(): HTMLElement[] {
  const list = document.querySelector('ul[aria-label="Images"]');
  return list
    ? Array.from(list.querySelectorAll<HTMLElement>('li.jp-Repo2Docker-image'))
    : [];
}

function imageCount(): string {
  const toggle = Array.from(
    document.querySelectorAll('.jp-Repo2Docker-sectionToggle')
  ).find(button => button.textContent?.startsWith('Images'));
  return toggle?.querySelector('.jp-Repo2Docker-count')?.textContent ?? '';
}

/** Bytes of image-list answers since the page started (their bodies, decoded). */
function imageBytes(): { requests: number; bytes: number } {
  const entries = performance
    .getEntriesByType('resource')
    .filter(e =>
      e.name.includes('/svc/api/images')
    ) as PerformanceResourceTiming[];
  return {
    requests: entries.length,
    bytes: entries.reduce((sum, e) => sum + e.decodedBodySize, 0)
  };
}

/** Mount the panel and start its model: ms until the first image rows are painted. */
async function start(mode: Mode): Promise<Record<string, unknown>> {
  const host = document.getElementById('host')!;
  const t0 = performance.now();
  const client = new Repo2DockerClient({
    serviceUrl: `${location.origin}/svc/`,
    pageConfig: {
      getOption: () => '',
      getBaseUrl: () => `${location.origin}/lab-not-here/`,
      getToken: () => ''
    }
  });
  model = new EnvironmentsModel({
    client,
    translator: nullTranslator,
    imagePageSize: mode === 'baseline' ? Infinity : undefined,
    // No poll during the measurement.
    refreshInterval: 3600
  });
  root = createRoot(host);
  root.render(
    <EnvironmentsPanel
      model={model}
      trans={trans}
      actions={{ openLogs: () => undefined, copy: () => undefined }}
    />
  );
  void model.start();
  await painted(() => rows().length > 0);
  const firstPaint = performance.now() - t0;
  return {
    firstPaint,
    // Where the time went: each request to the service, relative to the start.
    timeline: (
      performance.getEntriesByType('resource') as PerformanceResourceTiming[]
    )
      .filter(e => e.name.includes('/svc/'))
      .map(e => ({
        path: e.name.slice(e.name.indexOf('/svc/') + 4),
        start: Math.round(e.startTime - t0),
        end: Math.round(e.responseEnd - t0),
        bytes: e.decodedBodySize
      })),
    rows: rows().length,
    count: imageCount(),
    ...imageBytes()
  };
}

/** Type `text` into the filter box (one input event, as a paste): ms until the rows of it are painted. */
async function filter(
  text: string,
  expect: string
): Promise<Record<string, unknown>> {
  const input = document.querySelector<HTMLInputElement>(
    'input[aria-label="Filter builds and images"]'
  )!;
  const before = imageBytes();
  const t0 = performance.now();
  // React listens for `input` and reads the value through the native setter.
  Object.getOwnPropertyDescriptor(
    HTMLInputElement.prototype,
    'value'
  )!.set!.call(input, text);
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await painted(() => {
    const listed = rows();
    return (
      listed.length > 0 &&
      listed.every(row => (row.dataset.imageName ?? '').includes(expect))
    );
  });
  const ms = performance.now() - t0;
  const after = imageBytes();
  return {
    filter: ms,
    rows: rows().length,
    count: imageCount(),
    requests: after.requests - before.requests,
    bytes: after.bytes - before.bytes
  };
}

function stop(): void {
  root?.unmount();
  model?.dispose();
  root = null;
  model = null;
}

(window as unknown as { bench: unknown }).bench = { start, filter, stop };
