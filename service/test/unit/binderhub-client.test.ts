/**
 * The BinderHub client's transport against a fake BinderHub at the HTTP boundary (a local
 * server that answers as we script it): timeouts, early closes, refusals, the token. The real
 * BinderHub is in test/integration/binderhub-client.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  BinderHubClient,
  BinderHubError
} from '../../src/backends/binderhub-client.js';
import type { BinderHubUpdate } from '../../src/backends/binderhub-stream.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const TOKEN = 'secret-token-0123456789';
const sse = (data: object): string => `data: ${JSON.stringify(data)}\n\n`;

describe('BinderHubClient transport', () => {
  let server: Server;
  let url = '';
  let handler: Handler = () => undefined;
  let seen: IncomingMessage[] = [];
  let open = 0;

  before(async () => {
    server = createServer((request, response) => {
      seen.push(request);
      open++;
      response.on('close', () => open--);
      handler(request, response);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
  });

  const stream =
    (...events: string[]): Handler =>
    (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of events) {
        response.write(event);
      }
    };

  async function run(
    client: BinderHubClient,
    signal = new AbortController().signal
  ): Promise<BinderHubUpdate[]> {
    const out: BinderHubUpdate[] = [];
    for await (const update of client.build(
      { repo: 'https://example.org/r.git', ref: 'abc' },
      signal
    )) {
      out.push(update);
    }
    return out;
  }

  const waitFor = async (condition: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !condition(); i++) {
      await new Promise(resolve => setTimeout(resolve, 10));
    }
  };

  it('asks for a build only, with Accept and the token, and closes a failed stream itself', async () => {
    seen = [];
    // Like BinderHub: the failed event, then the stream stays open.
    handler = stream(
      sse({ phase: 'waiting', message: 'Waiting\n' }),
      sse({ phase: 'failed', message: 'Could not resolve ref\n' })
    );
    const updates = await run(
      new BinderHubClient({ url: `${url}/`, token: TOKEN })
    );
    assert.deepEqual(
      updates.map(u => u.kind),
      ['line', 'failed']
    );
    const [request] = seen;
    assert.equal(
      request.url,
      '/build/git/https%3A%2F%2Fexample.org%2Fr.git/abc?build_only=true'
    );
    assert.equal(request.headers.accept, 'text/event-stream');
    assert.equal(request.headers.authorization, `token ${TOKEN}`);
    await waitFor(() => open === 0);
    assert.equal(open, 0, 'the connection is closed by the client');
  });

  it('sends no Authorization header without a token', async () => {
    seen = [];
    handler = stream(
      sse({ phase: 'ready', imageName: 'x/y:1', message: 'Done!\n' })
    );
    await run(new BinderHubClient({ url }));
    assert.equal(seen[0].headers.authorization, undefined);
  });

  it('cancels: rejects with the signal reason at once and closes the connection', async () => {
    handler = stream(sse({ phase: 'building', message: 'step\n' }));
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const started = Date.now();
    await assert.rejects(async () => {
      for await (const update of new BinderHubClient({ url }).build(
        { repo: 'https://h/r', ref: 'a' },
        controller.signal
      )) {
        if (update.kind === 'line') {
          controller.abort(reason);
        }
      }
    }, reason);
    assert.ok(Date.now() - started < 1000);
    await waitFor(() => open === 0);
    assert.equal(open, 0);
  });

  it('cancels before BinderHub has even answered', async () => {
    handler = () => undefined; // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('early cancel')), 50);
    await assert.rejects(
      run(new BinderHubClient({ url }), controller.signal),
      /early cancel/
    );
  });

  it('gives up on a BinderHub that does not answer in time, in plain words', async () => {
    handler = () => undefined;
    await assert.rejects(
      run(new BinderHubClient({ url, answerTimeoutMs: 100 })),
      (error: unknown) =>
        error instanceof BinderHubError &&
        error.message === `BinderHub at ${url} did not answer within 0.1 s`
    );
  });

  it('gives up on a stream that falls silent (no keepalive)', async () => {
    handler = stream(sse({ phase: 'building', message: 'step\n' }));
    await assert.rejects(
      run(new BinderHubClient({ url, idleTimeoutMs: 150 })),
      /sent nothing for 0\.2 s/
    );
  });

  it('keeps a stream alive on keepalive comments', async () => {
    handler = (request, response) => {
      stream(':keepalive\n\n')(request, response);
      const ticks = setInterval(() => response.write(':keepalive\n\n'), 50);
      setTimeout(() => {
        clearInterval(ticks);
        response.end(
          sse({
            phase: 'ready',
            imageName: 'x/y:1',
            message: 'Done! Image built\n'
          })
        );
      }, 400);
    };
    const updates = await run(new BinderHubClient({ url, idleTimeoutMs: 150 }));
    assert.equal(updates.at(-1)?.kind, 'ready');
    assert.ok(updates.filter(u => u.kind === 'keepalive').length >= 3);
  });

  it('reports a stream closed before the build ended', async () => {
    handler = (request, response) => {
      stream(sse({ phase: 'building', message: 'step\n' }))(request, response);
      response.end();
    };
    await assert.rejects(
      run(new BinderHubClient({ url })),
      /closed the build's stream before the build ended/
    );
  });

  it('names refusals by status, and never shows the token', async () => {
    for (const [status, pattern] of [
      [403, /refused the service's token \(HTTP 403\)/],
      [404, /has no such build endpoint \(HTTP 404\)/],
      [502, /answered HTTP 502/]
    ] as const) {
      handler = (_request, response) => {
        response.writeHead(status, { 'content-type': 'text/html' });
        response.end(`<h1>${status}</h1>`);
      };
      await assert.rejects(
        run(new BinderHubClient({ url, token: TOKEN })),
        (error: unknown) => {
          assert.ok(error instanceof BinderHubError);
          assert.match(error.message, pattern);
          assert.ok(!error.message.includes(TOKEN));
          return true;
        }
      );
    }
  });

  it('refuses an answer that is not an event stream', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>login</html>');
    };
    await assert.rejects(
      run(new BinderHubClient({ url })),
      /did not answer with an event stream \(content type text\/html\)/
    );
  });

  it('says a closed port did not answer, without credentials from the URL', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    probe.close();
    await once(probe, 'close');
    await assert.rejects(
      run(
        new BinderHubClient({ url: `http://user:${TOKEN}@127.0.0.1:${port}` })
      ),
      (error: unknown) =>
        error instanceof BinderHubError &&
        error.message ===
          `BinderHub at http://127.0.0.1:${port} did not answer (ECONNREFUSED)`
    );
  });

  it('refuses a base URL that is not http(s) before sending anything', async () => {
    await assert.rejects(
      run(new BinderHubClient({ url: 'ftp://127.0.0.1/' })),
      /must be http:\/\/ or https:\/\/, not ftp:/
    );
    await assert.rejects(
      run(new BinderHubClient({ url: 'not a url' })),
      /is not a URL: the configured BinderHub URL/
    );
  });

  it('reads /versions', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          builder_info: { 'repo2docker-version': '2026.4.0' },
          binderhub: '0+unknown'
        })
      );
    };
    assert.deepEqual(await new BinderHubClient({ url }).versions(), {
      builder_info: { 'repo2docker-version': '2026.4.0' },
      binderhub: '0+unknown'
    });
  });
});
