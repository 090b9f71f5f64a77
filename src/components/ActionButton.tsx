import type { LabIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

export interface IActionButtonProps {
  icon: LabIcon;
  /** The tooltip: what the button does. */
  title: string;
  /** The accessible name: what it does to which item (`Delete %1`). */
  label: string;
  onClick: () => void;
  /** Text shown beside the icon; icon only without it. */
  text?: string;
}

/** A small, borderless button of an item's actions (and of the panel's header). */
export function ActionButton(props: IActionButtonProps): JSX.Element {
  const Icon = props.icon.react;
  return (
    <button
      type="button"
      className="jp-Button jp-mod-minimal jp-Repo2Docker-action"
      title={props.title}
      aria-label={props.label}
      onClick={props.onClick}
    >
      <Icon tag="span" className="jp-Repo2Docker-actionIcon" />
      {props.text !== undefined && <span>{props.text}</span>}
    </button>
  );
}
