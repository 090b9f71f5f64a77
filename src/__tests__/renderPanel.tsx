/**
 * Rendering the panel and its parts in tests, the same way in every suite: the translator the
 * plugin would pass, the panel rendered and loaded (the model's, and the launcher's, first
 * answer), and one image row. Mock the JupyterLab UI modules first (./panelMocks).
 */

import type { Image } from '@jupyterlab-repo2docker/service/contract';
import { nullTranslator } from '@jupyterlab/translation';
import { act, render } from '@testing-library/react';
import * as React from 'react';
import {
  EnvironmentsPanel,
  type IPanelActions
} from '../components/EnvironmentsPanel';
import { ImageItem } from '../components/ImageItem';
import type { ServerLauncher } from '../hub/launcher';
import type { EnvironmentsModel } from '../model';

export const trans = nullTranslator.load('jupyterlab_repo2docker');

/**
 * The panel after its first refresh (and the launcher's, when given): what the user sees once
 * the service has answered.
 */
export async function renderPanel(
  model: EnvironmentsModel,
  actions: IPanelActions,
  launcher?: ServerLauncher
): Promise<ReturnType<typeof render>> {
  const view = render(
    <EnvironmentsPanel
      model={model}
      trans={trans}
      actions={actions}
      launcher={launcher}
    />
  );
  await act(() => model.refresh());
  if (launcher) {
    await act(() => launcher.refresh());
  }
  return view;
}

const noop = (): void => undefined;

/** One image row with every action allowed and none of them doing anything. */
export function renderImageItem(image: Image): ReturnType<typeof render> {
  return render(
    <ul>
      <ImageItem
        image={image}
        trans={trans}
        canRebuild={true}
        canDelete={true}
        hasLog={true}
        onCopy={noop}
        onRebuild={noop}
        onDelete={noop}
        onOpenLogs={noop}
      />
    </ul>
  );
}
