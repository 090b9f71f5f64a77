/**
 * The panel's new states: a failed build in one line with details on demand, "Show log" only
 * where a log is kept, a build the service lost, folding sections, the filter, clearing.
 */
import '@testing-library/jest-dom';
import './panelMocks';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within
} from '@testing-library/react';
import { errorFromStatus } from '../errors';
import { EnvironmentsModel } from '../model';
import { FakeClient, makeBuild, makeImage } from './fakes';
import { renderPanel, trans } from './renderPanel';

describe('EnvironmentsPanel states', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;
  const actions = {
    openLogs: jest.fn(),
    copy: jest.fn(),
    confirm: jest.fn(async () => true),
    reportError: jest.fn()
  };

  beforeEach(() => {
    client = new FakeClient();
    model = new EnvironmentsModel({ client, filterDelay: 0 });
  });
  afterEach(() => model.dispose());

  function renderLoaded() {
    return renderPanel(model, actions);
  }

  it('shows a failed build in one line, the whole message on demand', async () => {
    const error =
      "Error during build: Command '['docker', 'buildx', 'build', '--label', 'org.jupyter=x', '/tmp/r']' returned non-zero exit status 1.";
    client.listBuilds.mockResolvedValue([
      makeBuild({
        phase: 'failed',
        error,
        progress: null,
        finishedAt: new Date().toISOString()
      })
    ]);
    await renderLoaded();
    const item = screen.getByRole('listitem', { name: 'Build analysis' });
    const summary = item.querySelector('.jp-Repo2Docker-errorSummary')!;
    expect(summary).toHaveTextContent(
      'Error during build: the image build command exited with status 1'
    );
    expect(item).not.toHaveTextContent('--label');
    const toggle = within(item).getByRole('button', { name: 'Details' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    fireEvent.click(toggle);
    expect(within(item).getByRole('button', { name: 'Less' })).toHaveAttribute(
      'aria-expanded',
      'true'
    );
    expect(
      item.querySelector('.jp-Repo2Docker-errorDetails')
    ).toHaveTextContent('--label');
  });

  it('has no Details button when the one line is the whole message', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({
        phase: 'failed',
        error: 'step 3/3 `RUN exit 3` exited with code 3',
        progress: null
      })
    ]);
    await renderLoaded();
    const item = screen.getByRole('listitem', { name: 'Build analysis' });
    expect(
      within(item).queryByRole('button', { name: 'Details' })
    ).not.toBeInTheDocument();
  });

  it('offers "Show log" only where the service keeps one', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'kept', name: 'kept', phase: 'built', progress: null }),
      makeBuild({
        id: 'dropped',
        name: 'dropped',
        phase: 'built',
        progress: null,
        logAvailable: false
      })
    ]);
    client.listImages.mockResolvedValue([
      makeImage({
        name: 'r2d-alice/kept:1',
        displayName: 'kept image',
        buildId: 'kept'
      }),
      makeImage({
        name: 'r2d-alice/old:1',
        displayName: 'old image',
        buildId: 'before-restart'
      })
    ]);
    await renderLoaded();
    const kept = screen.getByRole('listitem', { name: 'Build kept' });
    const dropped = screen.getByRole('listitem', { name: 'Build dropped' });
    expect(
      within(kept).getByRole('button', { name: /^Show log of kept/ })
    ).toBeInTheDocument();
    expect(
      within(dropped).queryByRole('button', { name: /^Show log/ })
    ).not.toBeInTheDocument();
    const image = (name: string) =>
      screen.getByText(name).closest('li') as HTMLElement;
    expect(
      within(image('kept image')).getByRole('button', {
        name: 'Show log of kept image'
      })
    ).toBeInTheDocument();
    expect(
      within(image('old image')).queryByRole('button', { name: /^Show log/ })
    ).not.toBeInTheDocument();
    // Every image action is labelled in words.
    for (const text of ['Copy name', 'Rebuild', 'Delete']) {
      expect(within(image('old image')).getByText(text)).toBeInTheDocument();
    }
  });

  it('says a build the restarted service lost is gone, with no log and no cancel', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'lost', phase: 'building' })
    ]);
    await renderLoaded();
    client.listBuilds.mockResolvedValue([]);
    client.getBuild.mockRejectedValue(
      errorFromStatus(
        404,
        { code: 'not_found', message: 'build lost not found' },
        'u',
        trans
      )
    );
    await act(() => model.refresh());
    const item = screen.getByRole('listitem', { name: 'Build analysis' });
    expect(within(item).getByText('Gone')).toBeInTheDocument();
    expect(item).toHaveTextContent(
      "This build's log is gone: the service restarted."
    );
    expect(
      within(item).queryByRole('button', { name: /^Show log/ })
    ).not.toBeInTheDocument();
    expect(
      within(item).queryByRole('button', { name: /^Cancel/ })
    ).not.toBeInTheDocument();
  });

  it('folds sections, filters, and clears finished builds', async () => {
    client.listBuilds.mockResolvedValue([
      makeBuild({ id: 'one', name: 'one', phase: 'built', progress: null }),
      makeBuild({ id: 'two', name: 'two', phase: 'building' })
    ]);
    client.listImages.mockResolvedValue(
      Array.from({ length: 60 }, (_, i) =>
        makeImage({ name: `r2d-alice/img${i}:1`, displayName: `img${i}` })
      )
    );
    await renderLoaded();
    // 60 images: a page of 50 asked for and shown, the next page on demand.
    const images = screen.getByRole('list', { name: 'Images' });
    expect(within(images).getAllByRole('listitem')).toHaveLength(50);
    expect(screen.getByText('50 of 60 listed')).toBeInTheDocument();
    fireEvent.click(
      screen.getByRole('button', { name: 'Show 10 more images' })
    );
    await waitFor(() =>
      expect(
        within(screen.getByRole('list', { name: 'Images' })).getAllByRole(
          'listitem'
        )
      ).toHaveLength(60)
    );
    expect(client.listImagePage).toHaveBeenLastCalledWith(
      expect.objectContaining({ limit: 100 })
    );
    expect(
      screen.queryByRole('button', { name: /more images/ })
    ).not.toBeInTheDocument();

    // Fold the builds.
    const toggle = screen.getByRole('button', { name: /^Builds/ });
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(
      screen.queryByRole('list', { name: 'Builds' })
    ).not.toBeInTheDocument();
    fireEvent.click(toggle);

    // The filter finds one image; the count says how many of how many.
    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Filter builds and images' }),
      {
        target: { value: 'img42' }
      }
    );
    await waitFor(() =>
      expect(
        within(screen.getByRole('list', { name: 'Images' })).getAllByRole(
          'listitem'
        )
      ).toHaveLength(1)
    );
    expect(screen.getByRole('button', { name: /^Images/ })).toHaveTextContent(
      '1 of 60'
    );
    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Filter builds and images' }),
      {
        target: { value: '' }
      }
    );
    // Cleared: the first page again, at once (no wait for the text to rest).
    await waitFor(() =>
      expect(
        within(screen.getByRole('list', { name: 'Images' })).getAllByRole(
          'listitem'
        )
      ).toHaveLength(50)
    );

    // Clear finished: the running build stays.
    fireEvent.click(screen.getByRole('button', { name: 'Clear finished' }));
    const builds = within(
      screen.getByRole('list', { name: 'Builds' })
    ).getAllByRole('listitem');
    expect(builds).toHaveLength(1);
    expect(builds[0]).toHaveAttribute('data-build-id', 'two');
    fireEvent.click(screen.getByRole('button', { name: 'Show 1 cleared' }));
    expect(
      within(screen.getByRole('list', { name: 'Builds' })).getAllByRole(
        'listitem'
      )
    ).toHaveLength(2);
  });

  it('says the "started" line only while the build it started runs', async () => {
    await renderLoaded();
    fireEvent.change(screen.getByLabelText('Repository URL'), {
      target: { value: 'https://github.com/alice/analysis' }
    });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Build' }));
    });
    expect(
      screen.getByText(/^Building analysis: its log is open in a tab\./)
    ).toBeInTheDocument();
    client.listBuilds.mockResolvedValue([
      makeBuild({
        id: 'new',
        phase: 'built',
        progress: null,
        finishedAt: new Date().toISOString()
      })
    ]);
    await act(() => model.refresh());
    expect(screen.queryByText(/^Building analysis/)).not.toBeInTheDocument();
  });
});
