import type { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

export interface ISectionProps {
  /** The section's heading (`Builds`, `Images`). */
  title: string;
  /** Items shown, and items there are before the filter. */
  shown: number;
  total: number;
  collapsed: boolean;
  onToggle: (collapsed: boolean) => void;
  trans: TranslationBundle;
  /** Buttons beside the heading (e.g. "Clear finished"). */
  actions?: React.ReactNode;
  children: React.ReactNode;
}

/** A list section whose heading folds it away; the count says how many of how many are shown. */
export function Section(props: ISectionProps): JSX.Element {
  const { trans } = props;
  const id = React.useId();
  const Caret = props.collapsed ? caretRightIcon.react : caretDownIcon.react;
  const count =
    props.shown === props.total
      ? String(props.total)
      : trans.__('%1 of %2', props.shown, props.total);
  return (
    <section
      className={`jp-Repo2Docker-section${props.collapsed ? ' jp-mod-collapsed' : ''}`}
      aria-labelledby={`${id}-title`}
    >
      <h3 className="jp-Repo2Docker-sectionTitle">
        <button
          type="button"
          id={`${id}-title`}
          className="jp-Repo2Docker-sectionToggle"
          aria-expanded={!props.collapsed}
          aria-controls={`${id}-body`}
          onClick={() => props.onToggle(!props.collapsed)}
        >
          <Caret tag="span" className="jp-Repo2Docker-caret" />
          <span>{props.title}</span>
          <span className="jp-Repo2Docker-count">{count}</span>
        </button>
        {props.actions && (
          <span className="jp-Repo2Docker-sectionActions">{props.actions}</span>
        )}
      </h3>
      <div id={`${id}-body`} hidden={props.collapsed}>
        {!props.collapsed && props.children}
      </div>
    </section>
  );
}

/** Items shown before "Show all": enough to work with, few enough to render fast. */
export const PAGE_SIZE = 50;

/** The first `PAGE_SIZE` items, then all of them once asked. */
export function usePaged<T>(items: readonly T[]): {
  items: readonly T[];
  more: number;
  showAll: () => void;
} {
  const [all, setAll] = React.useState(false);
  const shown = all ? items : items.slice(0, PAGE_SIZE);
  return {
    items: shown,
    more: items.length - shown.length,
    showAll: () => setAll(true)
  };
}
