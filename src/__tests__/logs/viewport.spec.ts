import {
  computeGeometry,
  firstVisibleLine,
  isAtBottom,
  MAX_SPACER_HEIGHT,
  renderWindow,
  scrollTopForLine,
  virtualTop
} from '../../logs/viewport';

const H = 17;
const V = 600;

describe('viewport geometry without scaling', () => {
  const g = computeGeometry(1000, H, V);

  it('is one-to-one', () => {
    expect(g.virtualHeight).toBe(17000);
    expect(g.spacerHeight).toBe(17000);
    expect(g.scale).toBe(1);
    expect(g.maxScrollTop).toBe(17000 - V);
  });

  it('finds the first visible line at a scroll position', () => {
    expect(firstVisibleLine(g, 0)).toBe(0);
    expect(firstVisibleLine(g, 16)).toBe(0);
    expect(firstVisibleLine(g, 17)).toBe(1);
    expect(firstVisibleLine(g, 170)).toBe(10);
    expect(firstVisibleLine(g, 171)).toBe(10);
  });

  it('places rows at their natural positions', () => {
    const w = renderWindow(g, 170, 5);
    expect(w.firstVisible).toBe(10);
    expect(w.lastVisible).toBe(Math.ceil((170 + V) / H));
    expect(w.first).toBe(5);
    expect(w.layerTop).toBe(5 * H);
  });

  it('reaches the last line at the bottom', () => {
    const w = renderWindow(g, g.maxScrollTop, 0);
    expect(w.lastVisible).toBe(1000);
    expect(isAtBottom(g, g.maxScrollTop)).toBe(true);
    expect(isAtBottom(g, g.maxScrollTop - 20)).toBe(false);
  });

  it('handles logs shorter than the viewport and empty logs', () => {
    const short = computeGeometry(10, H, V);
    expect(short.maxScrollTop).toBe(0);
    expect(renderWindow(short, 0, 3)).toMatchObject({
      first: 0,
      last: 10,
      layerTop: 0
    });
    const empty = computeGeometry(0, H, V);
    expect(renderWindow(empty, 0, 3)).toMatchObject({ first: 0, last: 0 });
    expect(scrollTopForLine(empty, 5)).toBe(0);
  });
});

describe('viewport geometry with scaling', () => {
  const n = 1_000_000;
  const g = computeGeometry(n, H, V);

  it('caps the spacer under every browser limit and scales the scroll', () => {
    expect(g.virtualHeight).toBe(17_000_000);
    expect(g.spacerHeight).toBe(MAX_SPACER_HEIGHT);
    expect(g.spacerHeight).toBeLessThan(17_800_000); // Firefox's cap
    expect(g.scale).toBeCloseTo((17_000_000 - V) / (MAX_SPACER_HEIGHT - V), 9);
  });

  it('maps scroll positions proportionally onto lines', () => {
    expect(firstVisibleLine(g, 0)).toBe(0);
    const mid = firstVisibleLine(g, g.maxScrollTop / 2);
    const expected = Math.floor(g.maxVirtualTop / 2 / H);
    expect(mid).toBe(expected);
    expect(firstVisibleLine(g, 1000)).toBe(Math.floor((1000 * g.scale) / H));
  });

  it('shows the very last line at the bottom of the scroll range', () => {
    const w = renderWindow(g, g.maxScrollTop, 0);
    expect(w.lastVisible).toBe(n);
    expect(w.firstVisible).toBe(Math.floor((n * H - V) / H));
    // The layer ends exactly at the spacer's end: nothing grows the scroll height.
    expect(w.layerTop + (w.last - w.first) * H).toBeCloseTo(g.spacerHeight, 6);
    // Within half a pixel of the bottom (browser rounding) still shows the end.
    expect(renderWindow(g, g.maxScrollTop - 0.4, 0).lastVisible).toBe(n);
  });

  it('puts the rows where the virtual position says', () => {
    const scrollTop = 4_321_000;
    const w = renderWindow(g, scrollTop, 3);
    const top = virtualTop(g, scrollTop);
    // Row of the first visible line sits at scrollTop - (top - firstVisible × H).
    const rowTop = w.layerTop + (w.firstVisible - w.first) * H;
    expect(rowTop).toBeCloseTo(scrollTop - (top - w.firstVisible * H), 6);
  });

  it('scrolls to any line and back', () => {
    for (const line of [0, 1, 12345, 499_999, 777_777, n - 40, n - 1]) {
      const st = scrollTopForLine(g, line, 'start');
      const first = firstVisibleLine(g, st);
      if (line * H <= g.maxVirtualTop) {
        expect(first).toBe(line);
        // Browsers may round scrollTop to whole pixels: at most one line off.
        expect(
          Math.abs(firstVisibleLine(g, Math.round(st)) - line)
        ).toBeLessThanOrEqual(1);
      } else {
        expect(st).toBe(g.maxScrollTop);
        expect(renderWindow(g, st).lastVisible).toBe(n);
      }
      const centred = scrollTopForLine(g, line, 'center');
      const w = renderWindow(g, centred);
      expect(line).toBeGreaterThanOrEqual(w.firstVisible);
      expect(line).toBeLessThan(w.lastVisible);
    }
  });

  it('stays exact at ten million lines', () => {
    const big = computeGeometry(10_000_000, H, V);
    expect(big.spacerHeight).toBe(MAX_SPACER_HEIGHT);
    expect(renderWindow(big, big.maxScrollTop).lastVisible).toBe(10_000_000);
    expect(
      firstVisibleLine(big, scrollTopForLine(big, 9_876_543, 'start'))
    ).toBe(9_876_543);
  });

  it("'nearest' does not move when the line is on screen", () => {
    const st = scrollTopForLine(g, 500_000, 'start');
    expect(scrollTopForLine(g, 500_005, 'nearest', st)).toBe(st);
    const below = scrollTopForLine(g, 600_000, 'nearest', st);
    const w = renderWindow(g, below);
    expect(w.lastVisible - 1).toBe(600_000);
  });
});
