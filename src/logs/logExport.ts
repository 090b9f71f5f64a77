/**
 * Getting a whole build log out of the viewer: to the clipboard, or as a `.log` file.
 */

import { Clipboard, Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { LogModel } from './logModel';

/** The file name a download gets: `<label>.log`, without path characters. */
export function logFileName(label: string): string {
  const base =
    label.replace(/[\\/:*?"<>|\s]+/g, '_').replace(/^[._]+/, '') || 'build';
  return `${base}.log`;
}

/** Copy the whole log (plain text) to the clipboard and say so. Resolves with whether it worked. */
export async function copyLogText(
  model: LogModel,
  trans: TranslationBundle
): Promise<boolean> {
  const text = model.plainText();
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
    } else {
      Clipboard.copyToSystem(text);
    }
    Notification.success(
      trans._n(
        'Copied %1 line of the build log.',
        'Copied %1 lines of the build log.',
        model.lineCount
      ),
      { autoClose: 3000 }
    );
    return true;
  } catch (reason) {
    Notification.error(
      trans.__('Could not copy the build log: %1', String(reason)),
      {
        autoClose: 5000
      }
    );
    return false;
  }
}

/** Download the whole log (plain text) as `fileName`. */
export function downloadLogFile(model: LogModel, fileName: string): void {
  const url = URL.createObjectURL(model.toBlob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Some browsers start the download after click() returns: keep the URL a while.
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}
