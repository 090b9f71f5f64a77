/**
 * One row of the targets table (bench/RESULTS.md): each benchmark states, next to its own
 * tables, the targets it measures as a marker line that markdown does not show; bench/run.sh
 * collects them (bench/summary.mts) into the one table at the top of its report.
 */
export interface TargetRow {
  measure: string;
  target: string;
  /** What was measured, in the unit of the target, with the baseline when there is one. */
  result: string;
  /** `null`: a figure without a target (shown for comparison). */
  met: boolean | null;
}

const MARKER = 'r2d-target';

export function reportTarget(row: TargetRow): void {
  console.log(`<!-- ${MARKER} ${JSON.stringify(row)} -->`);
}

/** The rows marked in a report's text, in order. */
export function targetsIn(text: string): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const match of text.matchAll(
    new RegExp(`<!-- ${MARKER} (\\{.*\\}) -->`, 'g')
  )) {
    rows.push(JSON.parse(match[1]) as TargetRow);
  }
  return rows;
}
