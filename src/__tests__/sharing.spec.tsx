import '@testing-library/jest-dom';
import './panelMocks';
import type { SharingRequest } from '@jupyterlab-repo2docker/service/contract';
import {
  act,
  fireEvent,
  render,
  screen,
  waitFor,
  within
} from '@testing-library/react';
import * as React from 'react';
import { Repo2DockerClient } from '../client';
import {
  ShareForm,
  type IShareDialogOptions,
  type ISubmitRef
} from '../components/ShareDialog';
import { errorFromStatus } from '../errors';
import { EnvironmentsModel } from '../model';
import { sharedWithYou, splitImages, visibilityText } from '../sharing';
import { FakeClient, makeImage, makeInfo } from './fakes';
import { renderPanel, trans } from './renderPanel';

const bob = makeInfo({ name: 'bob', groups: ['course-101', 'lab'] }).user;

const aliceOwn = makeImage({
  name: 'r2d-alice/course:1',
  repository: 'r2d-alice/course',
  displayName: 'Course',
  owner: 'alice',
  sharing: { visibility: 'groups', groups: ['course-101'] }
});
const bobOwn = makeImage({
  name: 'r2d-bob/mine:1',
  repository: 'r2d-bob/mine',
  displayName: 'Mine',
  owner: 'bob'
});
const carolEveryone = makeImage({
  name: 'r2d-carol/public:1',
  repository: 'r2d-carol/public',
  displayName: 'Public',
  owner: 'carol',
  sharing: { visibility: 'everyone', groups: [] }
});
const adminShared = makeImage({
  name: 'r2d-shared/base:1',
  repository: 'r2d-shared/base',
  displayName: 'Base',
  owner: 'admin',
  shared: true,
  sharing: { visibility: 'everyone', groups: [] }
});
const daveOnly = makeImage({
  name: 'r2d-dave/secret:1',
  repository: 'r2d-dave/secret',
  displayName: 'Secret',
  owner: 'dave'
});

describe('sharing words and grouping', () => {
  it('says who may see an own image', () => {
    expect(visibilityText({ visibility: 'owner', groups: [] }, trans)).toBe(
      'Only me'
    );
    expect(
      visibilityText({ visibility: 'groups', groups: ['a', 'b'] }, trans)
    ).toBe('Groups: a, b');
    expect(visibilityText({ visibility: 'everyone', groups: [] }, trans)).toBe(
      'Everyone'
    );
  });

  it("puts others' shared images apart, with the group or 'everyone' they came through", () => {
    expect(sharedWithYou(bob, aliceOwn)).toEqual({
      owner: 'alice',
      via: 'course-101'
    });
    expect(sharedWithYou(bob, carolEveryone)).toEqual({
      owner: 'carol',
      via: null
    });
    expect(sharedWithYou(bob, adminShared)).toEqual({
      owner: 'admin',
      via: null
    });
    expect(sharedWithYou(bob, bobOwn)).toBeNull();
    // An image not shared with the user (listed only to an admin) stays in the main list.
    expect(sharedWithYou(bob, daveOnly)).toBeNull();
    const split = splitImages(bob, [aliceOwn, bobOwn, carolEveryone, daveOnly]);
    expect(split.own.map(i => i.owner)).toEqual(['bob', 'dave']);
    expect(split.shared.map(i => i.owner)).toEqual(['alice', 'carol']);
    // Groups the user is not in do not count.
    const other = makeInfo({ name: 'erin', groups: ['lab'] }).user;
    expect(sharedWithYou(other, aliceOwn)).toBeNull();
  });
});

describe('ShareForm (the body of the Share dialog)', () => {
  function renderForm(overrides: Partial<IShareDialogOptions> = {}) {
    const save = jest.fn<Promise<void>, [SharingRequest]>(
      async () => undefined
    );
    const submitRef: ISubmitRef = { current: null };
    const view = render(
      <ShareForm
        label="Course"
        sharing={{ visibility: 'owner', groups: [] }}
        groups={['course-101', 'lab']}
        save={save}
        trans={trans}
        submitRef={submitRef}
        {...overrides}
      />
    );
    /** What the dialog's Save button calls; resolves with its answer (saved or not). */
    const submit = async (): Promise<boolean | undefined> => {
      let saved: boolean | undefined;
      await act(async () => {
        saved = await submitRef.current?.();
      });
      return saved;
    };
    return { view, save, submit };
  }

  it('offers Only me, Groups with the caller’s groups, and Everyone on the hub', () => {
    renderForm();
    expect(screen.getByRole('radio', { name: 'Only me' })).toBeChecked();
    expect(screen.getByRole('radio', { name: 'Groups' })).not.toBeChecked();
    expect(
      screen.getByRole('radio', { name: 'Everyone on the hub' })
    ).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'course-101' })).toBeDisabled();
    expect(screen.getByRole('checkbox', { name: 'lab' })).toBeInTheDocument();
  });

  it('sends the ticked groups', async () => {
    const { save, submit } = renderForm();
    fireEvent.click(screen.getByRole('radio', { name: 'Groups' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'course-101' }));
    expect(await submit()).toBe(true);
    expect(save).toHaveBeenCalledWith({
      visibility: 'groups',
      groups: ['course-101']
    });
  });

  it('sends everyone without groups, and only me without groups', async () => {
    const { save, submit } = renderForm({
      sharing: { visibility: 'groups', groups: ['lab'] }
    });
    expect(screen.getByRole('checkbox', { name: 'lab' })).toBeChecked();
    fireEvent.click(screen.getByRole('radio', { name: 'Everyone on the hub' }));
    await submit();
    expect(save).toHaveBeenLastCalledWith({
      visibility: 'everyone',
      groups: []
    });
    fireEvent.click(screen.getByRole('radio', { name: 'Only me' }));
    await submit();
    expect(save).toHaveBeenLastCalledWith({ visibility: 'owner', groups: [] });
  });

  it('asks for a group instead of sending none', async () => {
    const { save, submit } = renderForm();
    fireEvent.click(screen.getByRole('radio', { name: 'Groups' }));
    expect(await submit()).toBe(false);
    expect(save).not.toHaveBeenCalled();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Tick at least one group'
    );
  });

  it('keeps a refusal in the dialog, in plain words', async () => {
    const save = jest.fn<Promise<void>, [SharingRequest]>(async () => {
      throw errorFromStatus(
        400,
        {
          code: 'invalid_field',
          message: 'groups: alice is not in group staff',
          field: 'groups'
        },
        'http://localhost/',
        trans
      );
    });
    const { submit } = renderForm({ save });
    fireEvent.click(screen.getByRole('radio', { name: 'Groups' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'lab' }));
    expect(await submit()).toBe(false);
    expect(screen.getByRole('alert')).toHaveTextContent(
      /You can share only with hub groups you belong to/
    );
    save.mockRejectedValueOnce(
      errorFromStatus(
        403,
        { code: 'forbidden', message: 'not yours' },
        'http://localhost/',
        trans
      )
    );
    await submit();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'only its owner or an admin may'
    );
  });

  it('says when the caller is in no group', () => {
    renderForm({ groups: [] });
    expect(screen.getByRole('radio', { name: 'Groups' })).toBeDisabled();
    expect(screen.getByText(/in no hub group/)).toBeInTheDocument();
  });
});

describe('the panel with sharing', () => {
  let client: FakeClient;
  let model: EnvironmentsModel;
  let share: jest.Mock<Promise<boolean>, [IShareDialogOptions]>;

  beforeEach(() => {
    client = new FakeClient();
    model = new EnvironmentsModel({ client });
    share = jest.fn<Promise<boolean>, [IShareDialogOptions]>(async () => true);
  });

  afterEach(() => model.dispose());

  async function renderLoaded() {
    await renderPanel(model, {
      openLogs: jest.fn(),
      reportError: jest.fn(),
      share
    });
  }

  function section(title: string): HTMLElement {
    return screen.getByRole('region', { name: new RegExp(`^${title}`) });
  }

  it('lists own images with a badge and Share, and others’ under Shared with you', async () => {
    client.getInfo.mockResolvedValue(
      makeInfo({ name: 'bob', groups: ['course-101'] })
    );
    client.listImages.mockResolvedValue([bobOwn, aliceOwn, carolEveryone]);
    await renderLoaded();

    const images = section('Images');
    const own = within(images).getByRole('listitem');
    expect(own).toHaveTextContent('Mine');
    expect(within(own).getByText('Only me')).toBeInTheDocument();
    expect(
      within(own).getByRole('button', { name: 'Share Mine' })
    ).toBeInTheDocument();

    const shared = section('Shared with you');
    const rows = within(shared).getAllByRole('listitem');
    expect(rows).toHaveLength(2);
    const course = rows.find(row => row.textContent?.includes('Course'));
    expect(course).toHaveTextContent('shared by alice');
    expect(course).toHaveTextContent('via course-101');
    const everyone = rows.find(row => row.textContent?.includes('Public'));
    expect(everyone).toHaveTextContent('shared by carol');
    expect(everyone).toHaveTextContent('with everyone');
    // Not the user's: no badge, no Share, no Delete.
    expect(
      within(shared).queryByRole('button', { name: /^Share / })
    ).not.toBeInTheDocument();
    expect(within(shared).queryByText('Only me')).not.toBeInTheDocument();
    expect(
      within(shared).queryByRole('button', { name: /^Delete / })
    ).not.toBeInTheDocument();
  });

  it('says the user has no images of their own when only shared ones are listed', async () => {
    client.getInfo.mockResolvedValue(
      makeInfo({ name: 'bob', groups: ['course-101'] })
    );
    client.listImages.mockResolvedValue([aliceOwn]);
    await renderLoaded();
    expect(
      within(section('Images')).getByText('No images of your own.')
    ).toBeInTheDocument();
    expect(
      within(section('Shared with you')).getByRole('listitem')
    ).toHaveTextContent('shared by alice');
  });

  it("shows an image's build-argument names and that it is private", async () => {
    client.listImages.mockResolvedValue([
      makeImage({
        displayName: 'Private',
        private: true,
        buildArgs: ['PYTHON_VERSION']
      }),
      makeImage({ name: 'r2d-alice/plain:1', displayName: 'Plain' })
    ]);
    await renderLoaded();
    const [privateRow, plainRow] = within(section('Images')).getAllByRole(
      'listitem'
    );
    expect(within(privateRow).getByText('private')).toBeInTheDocument();
    expect(
      within(privateRow).getByText('build arguments: PYTHON_VERSION')
    ).toBeInTheDocument();
    expect(within(plainRow).queryByText('private')).not.toBeInTheDocument();
    expect(plainRow).not.toHaveTextContent('build arguments');
  });

  it('has no Shared with you section when nothing is shared with the user', async () => {
    client.listImages.mockResolvedValue([
      makeImage({ sharing: { visibility: 'groups', groups: ['a', 'b'] } })
    ]);
    await renderLoaded();
    expect(
      screen.queryByRole('region', { name: /^Shared with you/ })
    ).not.toBeInTheDocument();
    expect(screen.getByText('Groups: a, b')).toBeInTheDocument();
  });

  it('opens the Share dialog with the caller’s groups; Save sends PUT and refreshes the list', async () => {
    client.getInfo.mockResolvedValue(
      makeInfo({ name: 'alice', groups: ['course-101', 'lab'] })
    );
    const image = makeImage({ displayName: 'Course' });
    client.listImages.mockResolvedValue([image]);
    await renderLoaded();

    fireEvent.click(screen.getByRole('button', { name: 'Share Course' }));
    expect(share).toHaveBeenCalledTimes(1);
    const options = share.mock.calls[0][0];
    expect(options.label).toBe('Course');
    expect(options.groups).toEqual(['course-101', 'lab']);
    expect(options.sharing).toEqual({ visibility: 'owner', groups: [] });

    const listed = client.listImages.mock.calls.length;
    client.listImages.mockResolvedValue([
      { ...image, sharing: { visibility: 'groups', groups: ['course-101'] } }
    ]);
    await act(() =>
      options.save({ visibility: 'groups', groups: ['course-101'] })
    );
    expect(client.setImageSharing).toHaveBeenCalledWith(image.name, {
      visibility: 'groups',
      groups: ['course-101']
    });
    expect(client.listImages.mock.calls.length).toBeGreaterThan(listed);
    await waitFor(() =>
      expect(screen.getByText('Groups: course-101')).toBeInTheDocument()
    );
  });
});

describe('Repo2DockerClient.setImageSharing', () => {
  it('PUTs the sharing as JSON to the image’s sharing path', async () => {
    const fetchMock = jest.fn<Promise<Response>, [string, RequestInit]>(
      async () =>
        new Response(JSON.stringify(makeImage()), {
          status: 200,
          headers: { 'Content-Type': 'application/json' }
        })
    );
    const client = new Repo2DockerClient({
      pageConfig: {
        getOption: (name: string) => (name === 'hubPrefix' ? '/hub/' : ''),
        getBaseUrl: () => 'http://hub.example.org/user/alice/',
        getToken: () => 'tok'
      },
      fetch: fetchMock
    });
    const image = await client.setImageSharing('r2d-alice/course:1', {
      visibility: 'everyone',
      groups: []
    });
    expect(image.name).toBe(makeImage().name);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe(
      '/services/repo2docker/api/images/r2d-alice%2Fcourse%3A1/sharing'
    );
    expect(init.method).toBe('PUT');
    expect(JSON.parse(String(init.body))).toEqual({
      visibility: 'everyone',
      groups: []
    });
    expect(new Headers(init.headers).get('Content-Type')).toBe(
      'application/json'
    );
  });
});
