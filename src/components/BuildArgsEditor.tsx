import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { IBuildArgProblem, IBuildArgRow } from '../buildArgs';

export interface IBuildArgsEditorProps {
  rows: readonly IBuildArgRow[];
  onChange: (rows: IBuildArgRow[]) => void;
  /** The problem to show at its row (or under the list), if any. */
  problem: IBuildArgProblem | null;
  trans: TranslationBundle;
}

/** Next row key: unique within the page, so that keys never repeat after a removal. */
let nextKey = 1;

export function newBuildArgRow(): IBuildArgRow {
  return { key: nextKey++, name: '', value: '' };
}

/**
 * Build arguments of a Dockerfile repository: NAME / value rows, added and removed one by one,
 * with the warning that their values stay readable in the image's history.
 */
export function BuildArgsEditor(props: IBuildArgsEditorProps): JSX.Element {
  const { rows, problem, trans } = props;
  const id = React.useId();
  const update = (key: number, change: Partial<IBuildArgRow>) =>
    props.onChange(
      rows.map(row => (row.key === key ? { ...row, ...change } : row))
    );
  const errorId = `${id}-error`;
  return (
    <fieldset className="jp-Repo2Docker-buildArgs">
      <legend>{trans.__('Build arguments')}</legend>
      <p className="jp-Repo2Docker-warning" id={`${id}-warning`}>
        {trans.__(
          "For repositories with a Dockerfile. Values stay readable in the image's history: do not put secrets here."
        )}
      </p>
      {rows.length > 0 && (
        <ul className="jp-Repo2Docker-buildArgRows">
          {rows.map((row, index) => {
            const rowProblem = problem?.key === row.key ? problem : null;
            return (
              <li key={row.key} className="jp-Repo2Docker-buildArgRow">
                <BuildArgInput
                  value={row.name}
                  placeholder={trans.__('NAME')}
                  label={trans.__('Build argument name')}
                  invalid={rowProblem?.part === 'name'}
                  describedBy={rowProblem ? errorId : undefined}
                  onChange={name => update(row.key, { name })}
                />
                <BuildArgInput
                  value={row.value}
                  placeholder={trans.__('value')}
                  label={trans.__('Build argument value')}
                  invalid={rowProblem?.part === 'value'}
                  describedBy={rowProblem ? errorId : `${id}-warning`}
                  onChange={value => update(row.key, { value })}
                />
                <button
                  type="button"
                  className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton"
                  aria-label={trans.__(
                    'Remove build argument %1',
                    row.name.trim() || index + 1
                  )}
                  title={trans.__('Remove this build argument')}
                  onClick={() =>
                    props.onChange(rows.filter(r => r.key !== row.key))
                  }
                >
                  ×
                </button>
                {rowProblem && (
                  <div
                    className="jp-Repo2Docker-fieldError"
                    id={errorId}
                    role="alert"
                  >
                    {rowProblem.message}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {problem?.key === null && (
        <div className="jp-Repo2Docker-fieldError" id={errorId} role="alert">
          {problem.message}
        </div>
      )}
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton"
        onClick={() => props.onChange([...rows, newBuildArgRow()])}
      >
        {trans.__('Add build argument')}
      </button>
    </fieldset>
  );
}

/** The name or the value field of one row. */
function BuildArgInput(props: {
  value: string;
  placeholder: string;
  /** Its accessible name (`Build argument name` / `Build argument value`). */
  label: string;
  invalid: boolean;
  describedBy: string | undefined;
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <input
      className="jp-mod-styled jp-Repo2Docker-input"
      type="text"
      value={props.value}
      placeholder={props.placeholder}
      aria-label={props.label}
      spellCheck={false}
      autoComplete="off"
      aria-invalid={props.invalid ? true : undefined}
      aria-describedby={props.describedBy}
      onChange={event => props.onChange(event.target.value)}
    />
  );
}
