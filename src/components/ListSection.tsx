import * as React from 'react';
import { type ISectionProps, Section, usePaged } from './Section';

export interface IListSectionProps<T> extends Omit<
  ISectionProps,
  'shown' | 'children'
> {
  /** The items to list (filtered); `total` counts them before the filter. */
  items: readonly T[];
  /** What the section says when no item is left to list. */
  empty: string;
  /** The text of the "show the rest" button, e.g. `Show %1 more images` (translated). */
  moreText: (more: number) => string;
  /** One row (an `<li>` with its key). */
  renderItem: (item: T) => JSX.Element;
}

/**
 * A folding section holding one list named after the section, a page of it at first
 * (`usePaged`) with a button for the rest, or a line saying there is nothing to list.
 */
export function ListSection<T>(props: IListSectionProps<T>): JSX.Element {
  const { items, title } = props;
  // Here, not in the list: the section unmounts its body while folded, and the pages shown
  // must outlive a fold.
  const paged = usePaged(items);
  return (
    <Section
      title={title}
      shown={items.length}
      total={props.total}
      collapsed={props.collapsed}
      onToggle={props.onToggle}
      trans={props.trans}
      actions={props.actions}
    >
      {items.length === 0 ? (
        <p className="jp-Repo2Docker-empty">{props.empty}</p>
      ) : (
        <ul className="jp-Repo2Docker-list" aria-label={title}>
          {paged.items.map(item => props.renderItem(item))}
        </ul>
      )}
      {paged.more > 0 && (
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton jp-Repo2Docker-showAll"
          onClick={paged.showAll}
        >
          {props.moreText(paged.more)}
        </button>
      )}
    </Section>
  );
}
