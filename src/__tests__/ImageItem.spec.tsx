import './panelMocks';
import { screen } from '@testing-library/react';
import { makeImage } from './fakes';
import { renderImageItem } from './renderPanel';

function renderImage(location: { engine: boolean; registry: boolean }) {
  return renderImageItem(makeImage({ location }));
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
