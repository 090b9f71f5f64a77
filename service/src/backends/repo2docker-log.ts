/**
 * repo2docker's `--json-logs` lines (on stderr) turned into build events.
 *
 * Each line is `{"message": "...\n", "phase": "fetching" | "building" | "pushing" | "failed", ...}`;
 * the first may have no phase, and a failure ends with `exc_info` (a traceback that stays in the
 * service's own log, never in what users see). BuildKit's plain progress arrives as building
 * lines such as `#5 [2/3] RUN ...`, from which the step counter is read.
 */
import type { BuildPhase, BuildProgress } from '../api/contract.js';
import {
  BuildkitFailureParser,
  describeVerdict,
  shorten
} from './buildkit-failure.js';

// The splitter lives lower down since the Docker adapter splits the engine's streams too.
export { LineSplitter } from '../util/lines.js';

export interface ParsedLine {
  /** The phase the line reports, if any (repo2docker's "failed" included). */
  phase: BuildPhase | null;
  message: string;
  progress: BuildProgress | null;
  /** A traceback repo2docker attached; for operators only. */
  traceback: string | null;
}

const KNOWN_PHASES: ReadonlySet<string> = new Set([
  'fetching',
  'building',
  'pushing',
  'failed',
  'built'
]);
// `#5 [2/3] RUN ...` or `#7 [stage 2/3] COPY ...`
const STEP = /^#\d+ \[(?:[^\]\s]+ )?(\d+)\/(\d+)\]/;

export function progressOf(message: string): BuildProgress | null {
  const match = STEP.exec(message);
  if (!match) {
    return null;
  }
  return { current: Number(match[1]), total: Number(match[2]) };
}

/** Parse one line; text that is not JSON (a crash before logging starts) is kept as a message. */
export function parseRepo2DockerLine(line: string): ParsedLine | null {
  const trimmed = line.replace(/\r?\n?$/, '');
  if (trimmed.trim() === '') {
    return null;
  }
  let record: unknown;
  try {
    record = JSON.parse(trimmed);
  } catch {
    return {
      phase: null,
      message: trimmed,
      progress: progressOf(trimmed),
      traceback: null
    };
  }
  if (typeof record !== 'object' || record === null) {
    return { phase: null, message: trimmed, progress: null, traceback: null };
  }
  const fields = record as Record<string, unknown>;
  const message =
    typeof fields.message === 'string'
      ? fields.message.replace(/\r?\n$/, '')
      : '';
  const phase =
    typeof fields.phase === 'string' && KNOWN_PHASES.has(fields.phase)
      ? (fields.phase as BuildPhase)
      : null;
  const traceback =
    typeof fields.exc_info === 'string' ? fields.exc_info : null;
  if (message === '' && phase === null) {
    return null;
  }
  return { phase, message, progress: progressOf(message), traceback };
}

/**
 * Watches a build's output to name why it failed in one sentence: BuildKit's failing step and
 * its exit code, or a lost engine; failing that, repo2docker's own message when it is plain
 * words, never a Python exception quoting the buildx command line (that stays in the log).
 */
export class FailureWitness {
  private readonly buildkit = new BuildkitFailureParser();

  line(message: string): void {
    this.buildkit.feed(message);
  }

  /** The sentence for a failed build; `reported` is what the backend said (may be repo2docker's). */
  summary(reported: string): string {
    const verdict = this.buildkit.verdict();
    return verdict ? describeVerdict(verdict) : plainMessage(reported);
  }
}

// What repo2docker's Python says when a subprocess (buildx) or Python itself failed.
const PYTHON_NOISE =
  /Command '\[|CalledProcessError|non-zero exit status|Traceback|buildx|File "[^"]+", line \d+/;

/** repo2docker's (or anyone's) failure message, if it reads as a sentence; else a plain one. */
export function plainMessage(reported: string): string {
  const text = reported.replace(/^Error during build:\s*/i, '').trim();
  if (text === '' || PYTHON_NOISE.test(text) || text.includes('\n')) {
    return 'repo2docker failed; the build log has the details';
  }
  return shorten(text, 300);
}
