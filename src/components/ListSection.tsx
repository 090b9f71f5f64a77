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
  /**
   * How many items match, when the service sent only a page of them (`items`); default
   * `items.length`.
   */
  shown?: number;
  /**
   * When the service pages the list: how many matching items it has not sent yet and how to ask
   * for the next page. Without it the section lists a page of `items` and then all of them.
   */
  more?: IMoreItems;
}

/** The "Show more" of a list the service pages. */
export interface IMoreItems {
  /** Items not sent yet. */
  count: number;
  /** Items the next page adds at most. */
  pageSize: number;
  onMore: () => void;
  /** The next page was asked for and is not in yet. */
  busy?: boolean;
}

/**
 * A folding section holding one list named after the section, a page of it at first
 * (`usePaged`) with a button for the rest, or a line saying there is nothing to list.
 */
export function ListSection<T>(props: IListSectionProps<T>): JSX.Element {
  const { items, title } = props;
  // Here, not in the list: the section unmounts its body while folded, and the pages shown
  // must outlive a fold.
  const local = usePaged(items);
  const { more, trans } = props;
  // A page from the service is listed whole: it is as long as the user asked for.
  const listed = more ? items : local.items;
  const hidden = more ? more.count : local.more;
  const shown = props.shown ?? items.length;
  return (
    <Section
      title={title}
      shown={shown}
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
          {listed.map(item => props.renderItem(item))}
        </ul>
      )}
      {hidden > 0 && (
        <div className="jp-Repo2Docker-more">
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Repo2Docker-textButton jp-Repo2Docker-showAll"
            aria-busy={more?.busy === true}
            onClick={more ? more.onMore : local.showAll}
          >
            {props.moreText(
              more ? Math.min(more.count, more.pageSize) : hidden
            )}
          </button>
          {more && (
            <span className="jp-Repo2Docker-moreCount">
              {trans.__('%1 of %2 listed', items.length, shown)}
            </span>
          )}
        </div>
      )}
    </Section>
  );
}
