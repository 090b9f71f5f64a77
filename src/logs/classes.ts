/**
 * CSS classes of the build-log view and its parts, for styling (style/logs.css), key bindings
 * (schema/plugin.json selectors) and tests.
 */

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

/** Create an element with a class, appended to `parent` when given. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  parent?: HTMLElement
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  parent?.appendChild(e);
  return e;
}

/** Set a node's text only when it changed (no needless DOM writes each frame). */
export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}
