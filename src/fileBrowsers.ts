/**
 * The folders the user points at in JupyterLab's file browsers: the one right-clicked, and the
 * directory the default file browser shows. Read through `@jupyterlab/filebrowser`'s tokens, as
 * JupyterLab's own file browser commands do: the factory's tracker knows the browser that last
 * had focus (a right-click focuses it), `IDefaultFileBrowser` the one in the left area.
 */

import type {
  IDefaultFileBrowser,
  IFileBrowserFactory
} from '@jupyterlab/filebrowser';
import type { Contents } from '@jupyterlab/services';

/** Where the folder build command finds its folder. */
export interface IFolderSource {
  /** The items selected in the file browser the context menu was opened in (else the default one). */
  selectedItems(): Contents.IModel[];
  /** The directory the default file browser shows (a contents path), `null` without one. */
  currentDirectory(): string | null;
}

/**
 * The folder source of JupyterLab's file browsers; both tokens are optional plugins, and without
 * them there is no folder to point at (the command then asks for a path).
 */
export function fileBrowserFolderSource(
  factory: IFileBrowserFactory | null,
  defaultBrowser: IDefaultFileBrowser | null
): IFolderSource {
  const current = () => factory?.tracker.currentWidget ?? defaultBrowser;
  return {
    selectedItems: () => [...(current()?.selectedItems() ?? [])],
    currentDirectory: () =>
      (defaultBrowser ?? factory?.tracker.currentWidget)?.model.path ?? null
  };
}
