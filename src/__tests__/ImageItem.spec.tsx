import { nullTranslator } from '@jupyterlab/translation';
import { render, screen } from '@testing-library/react';
import * as React from 'react';
import { ImageItem } from '../components/ImageItem';
import { makeImage } from './fakes';

jest.mock(
  '@jupyterlab/ui-components',
  () => jest.requireActual('./uiMocks').uiComponents
);

const trans = nullTranslator.load('jupyterlab_repo2docker');
const noop = (): void => undefined;

function renderImage(location: { engine: boolean; registry: boolean }) {
  return render(
    <ul>
      <ImageItem
        image={makeImage({ location })}
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

describe('ImageItem: where the image lives', () => {
  it('shows no location badge for an image only in the engine', () => {
    renderImage({ engine: true, registry: false });
    expect(screen.queryByText('pushed')).toBeNull();
    expect(screen.queryByText('registry only')).toBeNull();
  });

  it('marks an image in both places as pushed', () => {
    renderImage({ engine: true, registry: true });
    expect(screen.getByText('pushed')).toBeTruthy();
  });

  it('marks an image only in the registry', () => {
    renderImage({ engine: false, registry: true });
    expect(screen.getByText('registry only')).toBeTruthy();
  });
});
