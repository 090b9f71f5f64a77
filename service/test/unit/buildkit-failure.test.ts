/** Naming a failed build's cause from BuildKit's plain output (engine 20.10 and newer wording). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BuildkitFailureParser,
  describeVerdict
} from '../../src/backends/buildkit-failure.js';

/** What repo2docker relayed for the `fail` fixture on engine 20.10 (captured on this machine). */
const ENGINE_20_FAILURE = `#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 157B done
#1 DONE 0.1s

#4 [1/3] COPY busybox /bin/busybox
#4 CACHED

#5 [2/3] COPY nonce /nonce
#5 DONE 0.0s

#6 [3/3] RUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 3"]
#6 0.115 about to fail
#6 ERROR: executor failed running [/bin/busybox sh -c echo about to fail; exit 3]: exit code: 3
------
 > [3/3] RUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 3"]:
0.115 about to fail
------
ERROR: failed to solve: executor failed running [/bin/busybox sh -c echo about to fail; exit 3]: exit code: 3`;

function parse(text: string): ReturnType<BuildkitFailureParser['verdict']> {
  const parser = new BuildkitFailureParser();
  for (const line of text.split('\n')) {
    parser.feed(line);
  }
  return parser.verdict();
}

describe('BuildkitFailureParser', () => {
  it('names the failing step and its exit code (engine 20.10 wording)', () => {
    const verdict = parse(ENGINE_20_FAILURE);
    assert.deepEqual(verdict, {
      kind: 'step',
      step: '3/3',
      instruction:
        'RUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 3"]',
      exitCode: 3,
      error: null
    });
    assert.equal(
      describeVerdict(verdict!),
      'step 3/3 `RUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 3"]` exited with code 3'
    );
  });

  it('reads the newer "did not complete successfully" wording, fed as one multi-line chunk', () => {
    const parser = new BuildkitFailureParser();
    parser.feed(
      '#7 [stage-1 2/5] RUN make\n#7 12.3 cc -o x x.c\n#7 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2'
    );
    assert.equal(
      describeVerdict(parser.verdict()!),
      'step stage-1 2/5 `RUN make` exited with code 2'
    );
  });

  it("a step that failed without an exit code gives BuildKit's reason", () => {
    const verdict = parse(
      '#5 [2/3] COPY missing /x\n#5 ERROR: failed to calculate checksum of ref abc::def: "/missing": not found'
    );
    assert.equal(verdict?.kind, 'step');
    assert.match(
      describeVerdict(verdict!),
      /^step 2\/3 `COPY missing \/x` failed: failed to calculate checksum .*not found$/
    );
  });

  it('the first failing step wins when several fail', () => {
    const verdict = parse(
      '#5 [2/3] RUN a\n#6 [3/3] RUN b\n#6 ERROR: process "b" did not complete successfully: exit code: 7\n#5 ERROR: process "a" did not complete successfully: exit code: 1'
    );
    assert.equal(
      describeVerdict(verdict!),
      'step 3/3 `RUN b` exited with code 7'
    );
  });

  it('an internal vertex error is not a step', () => {
    const verdict = parse(
      '#1 [internal] load build definition from Dockerfile\n#1 ERROR: failed to read dockerfile: open Dockerfile: no such file or directory'
    );
    assert.equal(verdict, null);
  });

  it('a lost engine in one sentence, also when the stream then breaks', () => {
    const gone = parse(
      '#6 [3/3] RUN x\n#6 0.1 out\nERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'
    );
    assert.deepEqual(gone, { kind: 'engine', reason: 'gone' });
    assert.equal(
      describeVerdict(gone!),
      'the Docker engine stopped answering during the build'
    );
    assert.deepEqual(
      parse(
        'ERROR: failed to receive status: rpc error: code = Unavailable desc = error reading from server: EOF'
      ),
      {
        kind: 'engine',
        reason: 'gone'
      }
    );
  });

  it('a cancelled status stream is named as such', () => {
    const verdict = parse(
      '#6 [3/3] RUN x\n#6 2.1 line-99\nERROR: failed to receive status: rpc error: code = Canceled desc = context canceled'
    );
    assert.deepEqual(verdict, { kind: 'engine', reason: 'status' });
    assert.match(describeVerdict(verdict!), /BuildKit stopped reporting/);
  });

  it('a step error beats a stream error reported after it', () => {
    const verdict = parse(
      '#6 [3/3] RUN x\n#6 ERROR: process "x" did not complete successfully: exit code: 3\nERROR: failed to receive status: rpc error: code = Canceled'
    );
    assert.equal(verdict?.kind, 'step');
  });

  it('says nothing about a successful build or plain output, and shortens long instructions', () => {
    assert.equal(
      parse(
        '#5 [1/1] RUN echo hi\n#5 0.1 hi\n#5 DONE 0.1s\n#6 naming to docker.io/x done'
      ),
      null
    );
    assert.equal(parse('ERROR is a word in my output\nexit code: 3'), null);
    const long = parse(
      `#5 [1/1] RUN ${'x'.repeat(500)}\n#5 ERROR: process "x" did not complete successfully: exit code: 1`
    );
    assert.ok(
      long?.kind === 'step' &&
        long.instruction.length <= 120 &&
        long.instruction.endsWith('…')
    );
  });

  it('ignores lines of megabytes without scanning them', () => {
    const started = performance.now();
    const parser = new BuildkitFailureParser();
    parser.feed(
      '#5 0.1 ' + 'Cannot connect to the Docker daemon '.repeat(100_000)
    );
    assert.equal(parser.verdict(), null);
    assert.ok(performance.now() - started < 200);
  });
});
