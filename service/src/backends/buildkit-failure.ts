/**
 * Why a build failed, in one sentence, read from BuildKit's plain progress output (which
 * repo2docker relays line by line) instead of from repo2docker's own last words, which are a
 * Python exception quoting the whole `docker buildx build …` command line.
 *
 * BuildKit names each step once (`#7 [3/3] RUN …`) and later reports its end by the same vertex
 * number: `#7 DONE 0.1s`, `#7 CACHED`, or `#7 ERROR: process "…" did not complete successfully:
 * exit code: 3`. A lost engine shows as the CLI failing to reach it or its gRPC stream breaking.
 * Pure: fed lines, asked for a verdict; no I/O.
 */

export interface StepFailure {
  kind: 'step';
  /** `3/3`, as BuildKit counts (may carry a stage name: `stage-1 4/9`). */
  step: string;
  /** The Dockerfile instruction, shortened. */
  instruction: string;
  exitCode: number | null;
  /** BuildKit's error text when it is not an exit code (e.g. a missing file for COPY). */
  error: string | null;
}

export interface EngineFailure {
  kind: 'engine';
  /** `gone`: the engine stopped answering; `status`: BuildKit's progress stream broke. */
  reason: 'gone' | 'status';
}

export type BuildkitVerdict = StepFailure | EngineFailure;

// `#7 [3/3] RUN ["/bin/busybox", …]`, `#7 [stage-1 4/9] COPY . /src`, `#2 [internal] load …`
const VERTEX_NAME = /^#(\d+) \[([^\]]+)\] (.*)$/;
const VERTEX_ERROR = /^#(\d+) ERROR: (.*)$/;
const EXIT_CODE = /exit code: (\d+)\s*$/;
const STEP = /^(?:\S+ )?\d+\/\d+$/;

/** The engine went away (or was never there): the CLI's and gRPC's ways of saying so. */
const ENGINE_GONE: RegExp[] = [
  /Cannot connect to the Docker daemon/i,
  /error during connect/i,
  /connect: (?:connection refused|no such file or directory)/i,
  /rpc error: code = Unavailable/i,
  /error reading from server: EOF/i,
  /transport is closing/i,
  /connection reset by peer/i
];
const STATUS_BROKEN = /failed to receive status: rpc error: code = Canceled/i;

const MAX_INSTRUCTION = 120;

export function shorten(text: string, max = MAX_INSTRUCTION): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export class BuildkitFailureParser {
  private readonly steps = new Map<
    string,
    { step: string; instruction: string }
  >();
  private failure: StepFailure | null = null;
  private engineGone = false;
  private statusBroken = false;

  /** Feed one line (or several joined by newlines) of the build's output. */
  feed(text: string): void {
    for (const raw of text.split('\n')) {
      this.line(raw.replace(/\r$/, ''));
    }
  }

  private line(line: string): void {
    if (line.length > 4096) {
      return; // output, not BuildKit's own words; and no regex runs over megabytes
    }
    const named = VERTEX_NAME.exec(line);
    if (named) {
      const [, vertex, step, instruction] = named;
      // Internal vertices (`[internal] load build definition`) are not steps of the Dockerfile.
      if (STEP.test(step) && !this.steps.has(vertex)) {
        this.steps.set(vertex, { step, instruction: shorten(instruction) });
      }
      return;
    }
    const failed = VERTEX_ERROR.exec(line);
    if (failed && !this.failure) {
      const [, vertex, error] = failed;
      const step = this.steps.get(vertex);
      if (step) {
        const code = EXIT_CODE.exec(error);
        this.failure = {
          kind: 'step',
          ...step,
          exitCode: code ? Number(code[1]) : null,
          error: code ? null : shorten(error, 200)
        };
        return;
      }
    }
    if (STATUS_BROKEN.test(line)) {
      this.statusBroken = true;
    } else if (ENGINE_GONE.some(pattern => pattern.test(line))) {
      this.engineGone = true;
    }
  }

  /** What the output says went wrong, or `null` when it says nothing we can name. */
  verdict(): BuildkitVerdict | null {
    // A step that failed on its own is the cause even if the stream broke afterwards.
    if (this.failure) {
      return this.failure;
    }
    if (this.engineGone) {
      return { kind: 'engine', reason: 'gone' };
    }
    if (this.statusBroken) {
      return { kind: 'engine', reason: 'status' };
    }
    return null;
  }
}

/** The verdict as the sentence users see. */
export function describeVerdict(verdict: BuildkitVerdict): string {
  if (verdict.kind === 'engine') {
    return verdict.reason === 'gone'
      ? 'the Docker engine stopped answering during the build'
      : "the Docker engine's BuildKit stopped reporting the build's progress (its status stream was cancelled)";
  }
  const what = `step ${verdict.step} \`${verdict.instruction}\``;
  if (verdict.exitCode !== null) {
    return `${what} exited with code ${verdict.exitCode}`;
  }
  return `${what} failed: ${verdict.error}`;
}
