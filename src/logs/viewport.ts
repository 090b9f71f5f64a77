/**
 * Index math of the virtual viewport: which lines are on screen for a scroll position.
 *
 * Rows have one fixed height. The scroll container holds one spacer; while `lines × rowHeight`
 * fits under `maxSpacerHeight` the spacer is that tall and scrolling is one-to-one. Past it
 * (browsers cap an element's height: ~33.5M px in Chromium, ~17.9M px in Firefox) the spacer stays
 * at `maxSpacerHeight` and the scroll position maps proportionally onto the virtual content:
 * the top of the scroll range shows the first line, the bottom shows the last.
 */

/** Spacer height above which scrolling is scaled; well under every browser's cap. */
export const MAX_SPACER_HEIGHT = 10_000_000;

export interface IViewportGeometry {
  lineCount: number;
  rowHeight: number;
  viewportHeight: number;
  /** Height of the whole log at one row per line: `lineCount × rowHeight`. */
  virtualHeight: number;
  /** Height given to the spacer element. */
  spacerHeight: number;
  /** Largest `scrollTop` of the container. */
  maxScrollTop: number;
  /** Largest virtual top: `virtualHeight - viewportHeight` (0 when it all fits). */
  maxVirtualTop: number;
  /** Virtual pixels per scroll pixel (1 when not scaled). */
  scale: number;
}

/** Geometry for `lineCount` rows of `rowHeight` px in a viewport `viewportHeight` px tall. */
export function computeGeometry(
  lineCount: number,
  rowHeight: number,
  viewportHeight: number,
  maxSpacerHeight: number = MAX_SPACER_HEIGHT
): IViewportGeometry {
  const virtualHeight = lineCount * rowHeight;
  const spacerHeight = Math.min(virtualHeight, maxSpacerHeight);
  const maxScrollTop = Math.max(0, spacerHeight - viewportHeight);
  const maxVirtualTop = Math.max(0, virtualHeight - viewportHeight);
  const scale =
    maxScrollTop > 0 && virtualHeight > spacerHeight
      ? maxVirtualTop / maxScrollTop
      : 1;
  return {
    lineCount,
    rowHeight,
    viewportHeight,
    virtualHeight,
    spacerHeight,
    maxScrollTop,
    maxVirtualTop,
    scale
  };
}

/** Whether `scrollTop` is at the bottom (within `slack` px). */
export function isAtBottom(
  g: IViewportGeometry,
  scrollTop: number,
  slack = 2
): boolean {
  return scrollTop >= g.maxScrollTop - slack;
}

/** The virtual pixel at the top of the viewport for a scroll position. */
export function virtualTop(g: IViewportGeometry, scrollTop: number): number {
  if (g.maxScrollTop <= 0) {
    return 0;
  }
  // The last pixel of the scroll range always shows the very end, whatever the rounding.
  if (scrollTop >= g.maxScrollTop - 0.5) {
    return g.maxVirtualTop;
  }
  return Math.min(g.maxVirtualTop, Math.max(0, scrollTop) * g.scale);
}

/** The first line (partly) visible at a scroll position. */
export function firstVisibleLine(
  g: IViewportGeometry,
  scrollTop: number
): number {
  if (g.lineCount === 0) {
    return 0;
  }
  return Math.min(
    g.lineCount - 1,
    Math.floor(virtualTop(g, scrollTop) / g.rowHeight)
  );
}

export interface IRenderWindow {
  /** First line to render (overscan included). */
  first: number;
  /** One past the last line to render. */
  last: number;
  /** First line at least partly visible. */
  firstVisible: number;
  /** One past the last line at least partly visible. */
  lastVisible: number;
  /** Where to put the top of the row layer, in spacer coordinates. */
  layerTop: number;
}

/**
 * The lines to render for a scroll position, with `overscan` extra rows each side, and where
 * the row layer goes: rows sit at `layerTop + (i - first) × rowHeight` in the spacer. Without
 * scaling that is `i × rowHeight` (native scrolling moves them); with scaling the layer is
 * placed so the rows line up with the virtual position.
 */
export function renderWindow(
  g: IViewportGeometry,
  scrollTop: number,
  overscan = 0
): IRenderWindow {
  if (g.lineCount === 0) {
    return { first: 0, last: 0, firstVisible: 0, lastVisible: 0, layerTop: 0 };
  }
  const top = virtualTop(g, scrollTop);
  const h = g.rowHeight;
  const firstVisible = Math.min(g.lineCount - 1, Math.floor(top / h));
  const lastVisible = Math.min(
    g.lineCount,
    Math.ceil((top + g.viewportHeight) / h)
  );
  const first = Math.max(0, firstVisible - overscan);
  const last = Math.min(
    g.lineCount,
    Math.max(lastVisible, firstVisible + 1) + overscan
  );
  const effectiveScrollTop =
    g.maxScrollTop <= 0 ? 0 : Math.min(Math.max(0, scrollTop), g.maxScrollTop);
  const layerTop =
    g.scale === 1 ? first * h : effectiveScrollTop + first * h - top;
  return { first, last, firstVisible, lastVisible, layerTop };
}

/** How to place a line when scrolling to it. */
export type LineAlignment = 'start' | 'center' | 'end' | 'nearest';

/** The `scrollTop` that shows `line` aligned as asked (`nearest`: move as little as possible). */
export function scrollTopForLine(
  g: IViewportGeometry,
  line: number,
  align: LineAlignment = 'center',
  currentScrollTop = 0
): number {
  if (g.maxScrollTop <= 0 || g.lineCount === 0) {
    return 0;
  }
  const h = g.rowHeight;
  const clamped = Math.max(0, Math.min(g.lineCount - 1, line));
  const lineTop = clamped * h;
  let target: number;
  switch (align) {
    case 'start':
      target = lineTop;
      break;
    case 'end':
      target = lineTop + h - g.viewportHeight;
      break;
    case 'nearest': {
      const top = virtualTop(g, currentScrollTop);
      if (lineTop >= top && lineTop + h <= top + g.viewportHeight) {
        return currentScrollTop;
      }
      target = lineTop < top ? lineTop : lineTop + h - g.viewportHeight;
      break;
    }
    default:
      target = lineTop - (g.viewportHeight - h) / 2;
  }
  target = Math.max(0, Math.min(g.maxVirtualTop, target));
  if (target >= g.maxVirtualTop) {
    return g.maxScrollTop;
  }
  return Math.min(g.maxScrollTop, target / g.scale);
}
