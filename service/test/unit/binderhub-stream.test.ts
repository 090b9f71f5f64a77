import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BinderHubStreamParser,
  mapBinderHubData,
  type BinderHubUpdate
} from '../../src/backends/binderhub-stream.js';
import {
  buildUrl,
  displayUrl,
  gitSpec
} from '../../src/backends/binderhub-client.js';

// Excerpts of what BinderHub b9fad99 sent on this machine (scripts/start-binderhub.sh): each
// relayed repo2docker line keeps its own newline, hence the extra blank line after its event.
const sse = (data: object | string): string =>
  `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const relayed = (data: object): string => `data: ${JSON.stringify(data)}\n\n\n`;

const BUILD = [
  sse({ phase: 'waiting', message: 'Waiting for build to start...\n' }),
  relayed({ message: 'Picked Git content provider.\n' }),
  relayed({
    message: "Cloning into '/tmp/repo2dockeroqpfdmrb'...\n",
    phase: 'fetching'
  }),
  relayed({ message: 'Using DockerBuildPack builder\n', phase: 'building' }),
  relayed({ message: '\n', phase: 'building' }),
  relayed({
    message: '#6 [3/3] RUN ["/bin/busybox", "sh", "-c", "echo hello"]\n',
    phase: 'building'
  }),
  relayed({
    message: '#6 0.269 hello from the ok fixture\n',
    phase: 'building'
  }),
  sse({
    phase: 'ready',
    message: 'Done! Image built\n',
    imageName: 'r2d-binderhub/file-3a-2f-ok-b15f05:5018dbde'
  })
].join('');

const FAILED = [
  sse({ phase: 'waiting', message: 'Waiting for build to start...\n' }),
  relayed({
    message:
      '#6 [3/3] RUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 3"]\n',
    phase: 'building'
  }),
  relayed({ message: '#6 0.201 about to fail\n', phase: 'building' }),
  relayed({
    message:
      '#6 ERROR: process "/bin/busybox sh -c echo about to fail; exit 3" did not complete successfully: exit code: 3\n',
    phase: 'building'
  }),
  relayed({
    message:
      "Error during build: Command '['docker', 'buildx', 'build', '--tag', 'x']' returned non-zero exit status 1.",
    exc_info:
      'Traceback (most recent call last):\n  File "/x/repo2docker/app.py", line 856, in start\n',
    phase: 'failed'
  }),
  sse({ phase: 'failed' }),
  ':keepalive\n\n'
].join('');

function parseAll(text: string, chunkSize = text.length): BinderHubUpdate[] {
  const parser = new BinderHubStreamParser();
  const out: BinderHubUpdate[] = [];
  for (let i = 0; i < text.length; i += chunkSize) {
    out.push(...parser.feed(text.slice(i, i + chunkSize)));
  }
  out.push(...parser.end());
  return out;
}

describe('BinderHubStreamParser', () => {
  it('maps a build: waiting becomes queued, phases and lines kept, ready ends it with the image', () => {
    const updates = parseAll(BUILD);
    assert.deepEqual(
      updates.map(u => (u.kind === 'line' ? [u.phase, u.message] : [u.kind])),
      [
        ['queued', 'Waiting for build to start...'],
        [null, 'Picked Git content provider.'],
        ['fetching', "Cloning into '/tmp/repo2dockeroqpfdmrb'..."],
        ['building', 'Using DockerBuildPack builder'],
        ['building', ''],
        ['building', '#6 [3/3] RUN ["/bin/busybox", "sh", "-c", "echo hello"]'],
        ['building', '#6 0.269 hello from the ok fixture'],
        ['ready']
      ]
    );
    const last = updates.at(-1);
    assert.deepEqual(last, {
      kind: 'ready',
      imageName: 'r2d-binderhub/file-3a-2f-ok-b15f05:5018dbde',
      message: 'Done! Image built',
      alreadyBuilt: false
    });
  });

  it('reads the step counter from BuildKit lines', () => {
    const step = parseAll(BUILD).find(
      u => u.kind === 'line' && u.message.startsWith('#6 [3/3]')
    );
    assert.deepEqual(step?.kind === 'line' && step.progress, {
      current: 3,
      total: 3
    });
  });

  it('gives the same updates whatever the chunking (one byte at a time included)', () => {
    const whole = parseAll(BUILD + FAILED.slice(0, 0));
    for (const size of [1, 7, 64]) {
      assert.deepEqual(parseAll(BUILD, size), whole, `chunks of ${size}`);
    }
  });

  it('keeps multi-byte characters split across chunks', () => {
    const text = sse({ phase: 'building', message: 'naïve ✓ ünïcode\n' });
    const bytes = Buffer.from(text, 'utf8');
    const decoder = new TextDecoder();
    const parser = new BinderHubStreamParser();
    const out: BinderHubUpdate[] = [];
    for (const byte of bytes) {
      out.push(
        ...parser.feed(decoder.decode(Uint8Array.of(byte), { stream: true }))
      );
    }
    assert.deepEqual(out, [
      {
        kind: 'line',
        phase: 'building',
        message: 'naïve ✓ ünïcode',
        progress: null
      }
    ]);
  });

  it('says "already built" for BinderHub\'s found-image answer', () => {
    const updates = parseAll(
      sse({
        phase: 'ready',
        imageName: 'p/x:abc',
        message: 'Done! Found built image\n'
      })
    );
    assert.deepEqual(updates, [
      {
        kind: 'ready',
        imageName: 'p/x:abc',
        message: 'Done! Found built image',
        alreadyBuilt: true
      }
    ]);
  });

  it("ends a failed build at repo2docker's failed line: the failing step named, traceback kept apart", () => {
    const updates = parseAll(FAILED);
    const failed = updates.filter(u => u.kind === 'failed');
    assert.equal(
      failed.length,
      1,
      'the bare {"phase":"failed"} after it is dropped'
    );
    assert.equal(
      updates.at(-1),
      failed[0],
      'nothing after the end (no keepalive either)'
    );
    const end = failed[0];
    assert.ok(end.kind === 'failed');
    assert.equal(
      end.error,
      'step 3/3 `RUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 3"]` exited with code 3'
    );
    assert.match(end.message, /^Error during build:/);
    assert.doesNotMatch(end.message, /Traceback/);
    assert.match(end.traceback ?? '', /^Traceback/);
    assert.equal(end.statusCode, null);
  });

  it('reads a refusal sent as a 200 stream (a missing Accept header) with its status code', () => {
    const updates = parseAll(
      sse({
        phase: 'failed',
        status_code: 400,
        message: 'Missing Accept header: text/event-stream\n'
      })
    );
    assert.deepEqual(updates, [
      {
        kind: 'failed',
        error:
          'BinderHub refused the build (HTTP 400): Missing Accept header: text/event-stream',
        message: 'Missing Accept header: text/event-stream',
        statusCode: 400,
        traceback: null
      }
    ]);
  });

  it("gives BinderHub's own refusal before any build in its words", () => {
    const message =
      'Could not resolve ref for git:file%3A%2F%2F%2Ftmp%2Ffail/nosuchref. Double check your URL and that your repo is public.\n';
    const [end] = parseAll(sse({ phase: 'failed', message }));
    assert.ok(end.kind === 'failed');
    assert.equal(end.error, message.trim());
  });

  it('names a bare failure without inventing a cause', () => {
    const [end] = parseAll(sse({ phase: 'failed' }));
    assert.ok(end.kind === 'failed');
    assert.equal(
      end.error,
      'repo2docker failed; the build log has the details'
    );
  });

  it('turns a ready without an image name into a failure', () => {
    const [end] = parseAll(sse({ phase: 'ready', message: 'Done!\n' }));
    assert.ok(end.kind === 'failed');
    assert.match(end.error, /named no image/);
  });

  it('reports keepalive comments so the caller can tell silence from a lost stream', () => {
    const updates = parseAll(
      `:keepalive\n\n${sse({ phase: 'building', message: 'x\n' })}:keepalive\n\n`
    );
    assert.deepEqual(
      updates.map(u => u.kind),
      ['keepalive', 'line', 'keepalive']
    );
  });

  it('keeps lines of unknown phases (built, launching, unknown) and non-JSON data as plain lines', () => {
    const updates = parseAll(
      [
        sse({ phase: 'unknown', message: 'not json from repo2docker\n' }),
        sse({
          phase: 'built',
          message: 'Built image, launching...\n',
          imageName: 'x:y'
        }),
        sse({ phase: 'launching', message: 'Launching server...\n' }),
        sse('<html>proxy error</html>')
      ].join('')
    );
    assert.deepEqual(updates, [
      {
        kind: 'line',
        phase: null,
        message: 'not json from repo2docker',
        progress: null
      },
      {
        kind: 'line',
        phase: null,
        message: 'Built image, launching...',
        progress: null
      },
      {
        kind: 'line',
        phase: null,
        message: 'Launching server...',
        progress: null
      },
      {
        kind: 'line',
        phase: null,
        message: '<html>proxy error</html>',
        progress: null
      }
    ]);
  });

  it('drops empty lines that name no phase, and ignores named events and stray fields', () => {
    const updates = parseAll(
      [
        sse({ message: '' }),
        sse({ message: '\n' }),
        'event: other\ndata: {"phase":"building","message":"x"}\n\n',
        'garbage line\n\n'
      ].join('')
    );
    assert.deepEqual(updates, []);
  });

  it('ignores a phase name inherited from Object.prototype', () => {
    const [line] = parseAll(sse({ phase: 'constructor', message: 'hi\n' }));
    assert.deepEqual(line, {
      kind: 'line',
      phase: null,
      message: 'hi',
      progress: null
    });
  });

  it('does not take a last event cut off before its blank line for the end (SSE discards it)', () => {
    const updates = parseAll(
      'data: {"phase": "ready", "imageName": "p/x:1", "message": "Done! Image built\\n"}\n'
    );
    assert.deepEqual(
      updates,
      [],
      'a cut stream is not a finished build: the client reports it closed early'
    );
  });

  it('fails, and stops reading, once an event grows past the limit', () => {
    const parser = new BinderHubStreamParser(1024);
    const out = parser.feed(
      `data: {"phase":"building","message":"${'x'.repeat(4096)}`
    );
    assert.equal(out.length, 1);
    assert.ok(out[0].kind === 'failed');
    assert.match(out[0].error, /longer than 1024 characters/);
    assert.deepEqual(
      parser.feed(sse({ phase: 'building', message: 'more\n' })),
      [],
      'nothing after the end'
    );
    assert.deepEqual(parser.end(), []);
  });
});

describe('mapBinderHubData', () => {
  it('maps pushing (a registry-backed BinderHub) to our pushing phase', () => {
    assert.deepEqual(
      mapBinderHubData(
        JSON.stringify({ phase: 'pushing', message: 'Pushing image\n' })
      ),
      {
        kind: 'line',
        phase: 'pushing',
        message: 'Pushing image',
        progress: null
      }
    );
  });

  it('treats "failure" like "failed" (BinderHub checks both)', () => {
    assert.equal(
      mapBinderHubData(JSON.stringify({ phase: 'failure', message: 'x' }))
        ?.kind,
      'failed'
    );
  });
});

describe('BinderHub build URL', () => {
  it("encodes the repository whole (its slashes too) and the ref, as the git provider's spec", () => {
    assert.equal(
      gitSpec('https://example.org/a/b.git', 'main'),
      'https%3A%2F%2Fexample.org%2Fa%2Fb.git/main'
    );
    assert.equal(
      gitSpec('file:///tmp/x y', 'feature/x#1'),
      'file%3A%2F%2F%2Ftmp%2Fx%20y/feature%2Fx%231'
    );
  });

  it('asks for a build only, under the base URL (trailing slashes dropped)', () => {
    assert.equal(
      buildUrl('http://127.0.0.1:8585/binder/', 'git', {
        repo: 'https://h/r',
        ref: 'abc'
      }),
      'http://127.0.0.1:8585/binder/build/git/https%3A%2F%2Fh%2Fr/abc?build_only=true'
    );
  });

  it('shows the base URL in messages without credentials or query', () => {
    assert.equal(
      displayUrl('http://user:secret@bh.example:8585/binder/?token=abc'),
      'http://bh.example:8585/binder'
    );
    assert.equal(displayUrl('not a url'), 'the configured BinderHub URL');
  });
});
