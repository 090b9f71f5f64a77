import type {
  Sharing,
  SharingRequest,
  SharingVisibility
} from '@jupyterlab-repo2docker/service/contract';
import { Dialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { isServiceError } from '../errors';

/** What the Share dialog needs: the image's label and sharing, the caller's groups, how to save. */
export interface IShareDialogOptions {
  /** The label of the image, as in its other buttons (`Delete <label>`). */
  label: string;
  sharing: Sharing;
  /** The caller's hub groups (from `/api/info`): what they may share with. */
  groups: readonly string[];
  /** Send the choice; rejects with a `ServiceError` that the dialog shows. */
  save: (sharing: SharingRequest) => Promise<void>;
  trans: TranslationBundle;
}

/** Holds the form's submit, for the dialog's Save button (and Enter). */
export interface ISubmitRef {
  current: (() => Promise<boolean>) | null;
}

export interface IShareFormProps extends IShareDialogOptions {
  submitRef: ISubmitRef;
}

/** A failure of Save in plain words: what happened and what to do. */
export function shareErrorText(
  reason: unknown,
  trans: TranslationBundle
): string {
  if (isServiceError(reason)) {
    switch (reason.kind) {
      case 'invalid':
        return reason.field === 'groups'
          ? trans.__(
              'You can share only with hub groups you belong to (%1).',
              reason.message
            )
          : reason.message;
      case 'forbidden':
      case 'missing_scope':
        return trans.__(
          'You may not change who sees this image: only its owner or an admin may.'
        );
      case 'not_found':
        return trans.__(
          'This image is gone, or the service cannot share images: refresh the list.'
        );
      default:
        return reason.diagnosis
          ? `${reason.message} ${reason.diagnosis}`
          : reason.message;
    }
  }
  return reason instanceof Error ? reason.message : String(reason);
}

/**
 * The body of the Share dialog: Only me, Groups (the caller's, ticked one by one) or Everyone on
 * the hub. Saving is the dialog's Save button; a failure stays in the dialog, in plain words.
 */
export function ShareForm(props: IShareFormProps): JSX.Element {
  const { trans } = props;
  const id = React.useId();
  const [visibility, setVisibility] = React.useState<SharingVisibility>(
    props.sharing.visibility
  );
  const [chosen, setChosen] = React.useState<ReadonlySet<string>>(
    () => new Set(props.sharing.groups)
  );
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  // The caller's groups, and any the image is shared with that they have left (to untick them).
  const groups = [
    ...props.groups,
    ...props.sharing.groups.filter(group => !props.groups.includes(group))
  ];

  const submit = async (): Promise<boolean> => {
    if (busy) {
      return false;
    }
    const request: SharingRequest =
      visibility === 'groups'
        ? { visibility, groups: groups.filter(group => chosen.has(group)) }
        : { visibility, groups: [] };
    if (visibility === 'groups' && request.groups.length === 0) {
      setError(trans.__('Tick at least one group, or choose "Only me".'));
      return false;
    }
    setError(null);
    setBusy(true);
    try {
      await props.save(request);
      return true;
    } catch (reason) {
      setError(shareErrorText(reason, trans));
      return false;
    } finally {
      setBusy(false);
    }
  };
  props.submitRef.current = submit;

  const radio = (value: SharingVisibility, label: string, hint: string) => (
    <label className="jp-Repo2Docker-shareChoice" title={hint}>
      <input
        type="radio"
        name={`${id}-visibility`}
        value={value}
        checked={visibility === value}
        disabled={value === 'groups' && groups.length === 0}
        onChange={() => {
          setVisibility(value);
          setError(null);
        }}
      />
      {label}
    </label>
  );

  return (
    <form
      className="jp-Repo2Docker-shareForm"
      aria-busy={busy}
      onSubmit={event => {
        event.preventDefault();
        void submit();
      }}
    >
      <fieldset disabled={busy}>
        <legend>{trans.__('Who may see and start %1', props.label)}</legend>
        {radio(
          'owner',
          trans.__('Only me'),
          trans.__('Only you (and the hub admins) see it')
        )}
        {radio(
          'groups',
          trans.__('Groups'),
          trans.__('Members of the groups you tick see it and can start it')
        )}
        {groups.length === 0 ? (
          <p className="jp-Repo2Docker-shareHint">
            {trans.__('You are in no hub group to share with.')}
          </p>
        ) : (
          <ul
            className="jp-Repo2Docker-shareGroups"
            aria-label={trans.__('Your groups')}
          >
            {groups.map(group => (
              <li key={group}>
                <label>
                  <input
                    type="checkbox"
                    checked={chosen.has(group)}
                    disabled={visibility !== 'groups'}
                    onChange={event => {
                      const next = new Set(chosen);
                      if (event.target.checked) {
                        next.add(group);
                      } else {
                        next.delete(group);
                      }
                      setChosen(next);
                      setError(null);
                    }}
                  />
                  {group}
                </label>
              </li>
            ))}
          </ul>
        )}
        {radio(
          'everyone',
          trans.__('Everyone on the hub'),
          trans.__('Every user of the hub sees it and can start it')
        )}
      </fieldset>
      {busy && (
        <p className="jp-Repo2Docker-shareHint" role="status">
          {trans.__('Saving…')}
        </p>
      )}
      {error && (
        <p className="jp-Repo2Docker-formError" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/**
 * Open the `Share <label>` dialog. Resolves `true` once a choice was saved, `false` when the
 * dialog was cancelled; a failed Save keeps the dialog open with the reason.
 */
export async function openShareDialog(
  options: IShareDialogOptions
): Promise<boolean> {
  const { trans } = options;
  const submitRef: ISubmitRef = { current: null };
  const buttons = [
    Dialog.cancelButton({ label: trans.__('Cancel') }),
    Dialog.okButton({ label: trans.__('Save') })
  ];
  const title = trans.__('Share %1', options.label);

  // Declared here, not at the top level: the class extends `Dialog` only once a dialog opens.
  class ShareDialogWidget extends Dialog<null> {
    /** Save first: the dialog closes only when the service took the choice. */
    resolve(index?: number): void {
      const chosen = index ?? buttons.length - 1;
      if (!buttons[chosen]?.accept) {
        super.resolve(chosen);
        return;
      }
      void (submitRef.current?.() ?? Promise.resolve(false)).then(saved => {
        if (saved) {
          super.resolve(chosen);
        }
      });
    }
  }

  const dialog = new ShareDialogWidget({
    title,
    body: ReactWidget.create(<ShareForm {...options} submitRef={submitRef} />),
    buttons,
    defaultButton: buttons.length - 1
  });
  // The dialog element's accessible name (JupyterLab sets one only for text bodies).
  dialog.node.setAttribute('aria-label', title);
  const result = await dialog.launch();
  return result.button.accept;
}
