import type {
  Build,
  BuildRequest
} from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { isServiceError, ServiceError } from '../errors';
import { isFinal, type EnvironmentsModel } from '../model';
import { fieldLabel, friendlyFieldMessage } from '../words';
import { useBuildExtras } from './useBuildExtras';

/** The form's fields, named as in `BuildRequest` so that a 400's `field` finds its input. */
const FIELDS = [
  'repo',
  'ref',
  'name',
  'subdir',
  'push',
  'force',
  'shared'
] as const;
type FieldName = (typeof FIELDS)[number];
const ADVANCED_FIELDS: ReadonlySet<string> = new Set([
  'subdir',
  'push',
  'force',
  'shared'
]);

/** Whether the service announces upload limits, i.e. takes folders (folder-design.md §1). */
function takesUploads(info: EnvironmentsModel['info']): boolean {
  const limits = info?.limits as { uploadMaxBytes?: unknown } | undefined;
  return typeof limits?.uploadMaxBytes === 'number';
}

function isFieldName(value: string | null): value is FieldName {
  return value !== null && (FIELDS as readonly string[]).includes(value);
}

export interface IBuildFormProps {
  model: EnvironmentsModel;
  trans: TranslationBundle;
  /** Called with a build that was started (not with an image that was already built). */
  onStarted?: (build: Build) => void;
  /** Build from a folder instead (shown when given and the service takes uploads). */
  onBuildFolder?: () => void;
  /** "Build and start" (issue 13): called with the build (or the already-built answer). */
  onBuildAndStart?: (build: Build) => void;
}

/** Repository URL, ref, optional name and, under "Advanced", subdir, push and force. */
export function BuildForm(props: IBuildFormProps): JSX.Element {
  const { model, trans } = props;
  const info = model.info;
  const disabled = !model.canBuild;
  const registry = info?.registry ?? null;
  const isAdmin = model.canShare;

  const [repo, setRepo] = React.useState('');
  const [ref, setRef] = React.useState('');
  const [name, setName] = React.useState('');
  const [subdir, setSubdir] = React.useState('');
  const [push, setPush] = React.useState<boolean | null>(null);
  const [force, setForce] = React.useState(false);
  const [shared, setShared] = React.useState(false);
  const [advanced, setAdvanced] = React.useState(false);
  const [busy, setBusy] = React.useState(false);
  const [fieldErrors, setFieldErrors] = React.useState<
    Partial<Record<FieldName, string>>
  >({});
  const [formError, setFormError] = React.useState<ServiceError | Error | null>(
    null
  );
  const [result, setResult] = React.useState<string | null>(null);
  /** The build this form started last: "started" is said only while it runs. */
  const [startedId, setStartedId] = React.useState<string | null>(null);
  const repoInput = React.useRef<HTMLInputElement>(null);
  /** Set by "Build and start" for the submit it causes (Enter and "Build" leave it unset). */
  const andStart = React.useRef(false);
  /** Username, token and build arguments (issue 14): the token is kept nowhere else. */
  const extras = useBuildExtras(trans);
  const id = React.useId();
  const pushValue = push ?? registry?.pushByDefault ?? false;

  React.useEffect(() => {
    const onRequest = () => {
      const request = model.takeFormRequest();
      if (!request) {
        return;
      }
      if (request.repo !== undefined) {
        setRepo(request.repo);
      }
      if (request.ref !== undefined) {
        setRef(request.ref);
      }
      // The sidebar is shown by the same command that asked for the form: focus once it is
      // laid out (an element that is still hidden cannot take the focus).
      const focus = (tries: number) => {
        const input = repoInput.current;
        if (!input) {
          return;
        }
        input.focus();
        if (document.activeElement !== input && tries > 0) {
          setTimeout(() => focus(tries - 1), 50);
        }
      };
      requestAnimationFrame(() => focus(20));
    };
    onRequest();
    model.formRequested.connect(onRequest);
    return () => {
      model.formRequested.disconnect(onRequest);
    };
  }, [model]);

  const clearError = (field: FieldName) => {
    if (fieldErrors[field]) {
      setFieldErrors(errors => {
        const rest = { ...errors };
        delete rest[field];
        return rest;
      });
    }
  };

  const request = (): BuildRequest => {
    const body: BuildRequest = { repo: repo.trim() };
    if (ref.trim()) {
      body.ref = ref.trim();
    }
    if (name.trim()) {
      body.name = name.trim();
    }
    if (subdir.trim()) {
      body.subdir = subdir.trim();
    }
    if (registry) {
      body.push = pushValue;
    }
    if (force) {
      body.force = true;
    }
    if (isAdmin && shared) {
      body.shared = true;
    }
    extras.addTo(body);
    return body;
  };

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    const thenStart = andStart.current;
    andStart.current = false;
    if (disabled || busy) {
      return;
    }
    setFieldErrors({});
    setFormError(null);
    setResult(null);
    setStartedId(null);
    if (!repo.trim()) {
      setFieldErrors({ repo: trans.__('Enter the URL of a repository.') });
      repoInput.current?.focus();
      return;
    }
    if (!extras.check(repo)) {
      setAdvanced(true);
      return;
    }
    setBusy(true);
    try {
      const build = await model.startBuild(request());
      if (thenStart) {
        props.onBuildAndStart?.(build);
      }
      if (build.alreadyBuilt) {
        setResult(
          trans.__(
            'Already built: %1 exists for this commit. Tick "Rebuild even if built" under Advanced to build it again.',
            build.image
          )
        );
      } else {
        setResult(
          trans.__(
            'Building %1: its log is open in a tab.',
            build.displayName || build.name
          )
        );
        setStartedId(build.id);
        props.onStarted?.(build);
      }
    } catch (reason) {
      if (extras.showServiceError(reason)) {
        setAdvanced(true);
      } else if (
        isServiceError(reason) &&
        reason.kind === 'invalid' &&
        isFieldName(reason.field)
      ) {
        setFieldErrors({
          [reason.field]: friendlyFieldMessage(
            reason.field,
            reason.message,
            info,
            trans
          )
        });
        if (ADVANCED_FIELDS.has(reason.field)) {
          setAdvanced(true);
        }
      } else {
        setFormError(
          reason instanceof Error ? reason : new Error(String(reason))
        );
      }
    } finally {
      extras.forgetSecret();
      setBusy(false);
    }
  };

  // Once the build this form started is over, its card says how it went; this line goes.
  const started = startedId
    ? model.builds.find(b => b.id === startedId)
    : undefined;
  const startedIsOver =
    startedId !== null && (!started || isFinal(started.phase));

  const errorId = (field: FieldName) => `${id}-${field}-error`;
  const described = (field: FieldName) =>
    fieldErrors[field] ? errorId(field) : undefined;
  const fieldError = (field: FieldName) =>
    fieldErrors[field] ? (
      <div
        className="jp-Repo2Docker-fieldError"
        id={errorId(field)}
        role="alert"
      >
        {fieldErrors[field]}
      </div>
    ) : null;
  const textField = (
    field: 'repo' | 'ref' | 'name' | 'subdir',
    label: string,
    value: string,
    setValue: (value: string) => void,
    placeholder: string,
    hint: string,
    extra: { required?: boolean; inputRef?: React.Ref<HTMLInputElement> } = {}
  ) => (
    <div className="jp-Repo2Docker-field">
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <input
        id={`${id}-${field}`}
        ref={extra.inputRef}
        name={field}
        className="jp-mod-styled jp-Repo2Docker-input"
        type="text"
        value={value}
        placeholder={placeholder}
        title={hint}
        required={extra.required}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={fieldErrors[field] ? true : undefined}
        aria-describedby={described(field)}
        onChange={event => {
          setValue(event.target.value);
          clearError(field);
        }}
      />
      {fieldError(field)}
    </div>
  );
  const checkbox = (
    field: 'push' | 'force' | 'shared',
    label: string,
    checked: boolean,
    setChecked: (value: boolean) => void,
    title: string
  ) => (
    <div className="jp-Repo2Docker-field jp-Repo2Docker-checkbox">
      <label title={title}>
        <input
          type="checkbox"
          name={field}
          checked={checked}
          aria-invalid={fieldErrors[field] ? true : undefined}
          aria-describedby={described(field)}
          onChange={event => {
            setChecked(event.target.checked);
            clearError(field);
          }}
        />
        {label}
      </label>
      {fieldError(field)}
    </div>
  );

  return (
    <form
      className="jp-Repo2Docker-form"
      aria-label={trans.__('Build an environment')}
      onSubmit={event => void onSubmit(event)}
      noValidate
    >
      <fieldset disabled={disabled || busy}>
        {textField(
          'repo',
          trans.__('Repository URL'),
          repo,
          setRepo,
          'https://github.com/…',
          trans.__(
            'The URL of a Git repository, e.g. https://github.com/owner/repository'
          ),
          { required: true, inputRef: repoInput }
        )}
        {textField(
          'ref',
          trans.__('Branch, tag or commit'),
          ref,
          setRef,
          trans.__('optional: the default branch'),
          trans.__(
            'A branch, tag or commit to build; empty builds the default branch'
          )
        )}
        {textField(
          'name',
          trans.__('Image name'),
          name,
          setName,
          trans.__('optional'),
          trans.__('The name of the image; empty takes it from the repository')
        )}
        <details
          className="jp-Repo2Docker-advanced"
          open={advanced}
          onToggle={event =>
            setAdvanced((event.target as HTMLDetailsElement).open)
          }
        >
          <summary>{trans.__('Advanced')}</summary>
          {textField(
            'subdir',
            trans.__('Subdirectory'),
            subdir,
            setSubdir,
            trans.__('optional'),
            trans.__(
              'Build from this directory of the repository instead of its root'
            )
          )}
          {registry &&
            checkbox(
              'push',
              trans.__('Push to %1', registry.url),
              pushValue,
              setPush,
              trans.__('Push the image to the registry after building it')
            )}
          {checkbox(
            'force',
            trans.__('Rebuild even if built'),
            force,
            setForce,
            trans.__(
              'Build again even if an image exists for this repository and commit'
            )
          )}
          {isAdmin &&
            checkbox(
              'shared',
              trans.__('Shared image'),
              shared,
              setShared,
              trans.__('Build into the shared namespace that every user sees')
            )}
          {extras.fields}
        </details>
        <div className="jp-Repo2Docker-formActions">
          <button
            type="submit"
            className="jp-Button jp-mod-styled jp-mod-accept"
          >
            {busy ? trans.__('Starting…') : trans.__('Build')}
          </button>
          {props.onBuildAndStart && (
            <button
              type="submit"
              className="jp-Button jp-mod-styled jp-mod-reject"
              title={trans.__(
                'Build, then start a server in the image (at once when it is built already)'
              )}
              onClick={() => {
                andStart.current = true;
              }}
            >
              {trans.__('Build and start')}
            </button>
          )}
          {props.onBuildFolder && takesUploads(info) && (
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-mod-reject"
              title={trans.__(
                'Build from a folder of this JupyterLab instead of a repository'
              )}
              onClick={props.onBuildFolder}
            >
              {trans.__('From folder…')}
            </button>
          )}
        </div>
      </fieldset>
      {formError && (
        <div className="jp-Repo2Docker-formError" role="alert">
          <p>
            {isServiceError(formError) &&
            formError.kind === 'invalid' &&
            formError.field
              ? trans.__(
                  '%1: %2',
                  fieldLabel(formError.field, trans),
                  friendlyFieldMessage(
                    formError.field,
                    formError.message,
                    info,
                    trans
                  )
                )
              : formError.message}
          </p>
          {isServiceError(formError) && formError.diagnosis && (
            <p className="jp-Repo2Docker-diagnosis">{formError.diagnosis}</p>
          )}
        </div>
      )}
      {result && !startedIsOver && (
        <div className="jp-Repo2Docker-formResult" role="status">
          {result}
        </div>
      )}
    </form>
  );
}
