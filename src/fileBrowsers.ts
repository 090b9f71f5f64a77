/**
 * The folders the user points at in JupyterLab's file browsers: the one right-clicked, and the
 * directory the file browser shows.
 *
 * Found in the shell by their shape (`selectedItems()` and `model.path`, as
 * `@jupyterlab/filebrowser`'s `FileBrowser` has them) rather than through `IFileBrowserFactory`,
 * because `@jupyterlab/filebrowser` is not among this package's dependencies yet (asked for in
 * /work/coord/requests.md); the shape is JupyterLab 4's, which `jupyter lab` checks in the
 * browser tests (ui-tests/tests/laptop-folder.spec.ts).
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Contents } from '@jupyterlab/services';
import type { Widget } from '@lumino/widgets';

/** What is used of a `FileBrowser`. */
export interface IFileBrowserLike {
  readonly node: HTMLElement;
  readonly model: { readonly path: string };
  selectedItems(): Iterable<Contents.IModel>;
}

/** Where the folder build command finds its folder. */
export interface IFolderSource {
  /** The items selected in the file browser the context menu was opened in (else the main one). */
  selectedItems(): Contents.IModel[];
  /** The directory the main file browser shows (a contents path), `null` without one. */
  currentDirectory(): string | null;
}

function isFileBrowser(widget: Widget): widget is Widget & IFileBrowserLike {
  const candidate = widget as unknown as Partial<IFileBrowserLike>;
  return (
    typeof candidate.selectedItems === 'function' &&
    typeof candidate.model?.path === 'string'
  );
}

/** The file browsers in the shell's areas, the default one (`filebrowser`) first. */
function fileBrowsers(shell: JupyterFrontEnd.IShell): IFileBrowserLike[] {
  const found: IFileBrowserLike[] = [];
  for (const area of ['left', 'right', 'main']) {
    for (const widget of shell.widgets(area)) {
      if (isFileBrowser(widget)) {
        found.push(widget);
      }
    }
  }
  return found.sort(
    (a, b) =>
      Number((b as unknown as Widget).id === 'filebrowser') -
      Number((a as unknown as Widget).id === 'filebrowser')
  );
}

/** The folder source of a JupyterLab application. */
export function shellFolderSource(app: JupyterFrontEnd): IFolderSource {
  const browserAt = (): IFileBrowserLike | undefined => {
    const browsers = fileBrowsers(app.shell);
    // The context menu's target, while a context menu is open; else the default browser.
    const hit = app.contextMenuHitTest(node =>
      node.classList.contains('jp-DirListing-item')
    );
    return (
      (hit ? browsers.find(b => b.node.contains(hit)) : undefined) ??
      browsers[0]
    );
  };
  return {
    selectedItems: () => [...(browserAt()?.selectedItems() ?? [])],
    currentDirectory: () => fileBrowsers(app.shell)[0]?.model.path ?? null
  };
}
