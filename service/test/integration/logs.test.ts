/**
 * The log stream over real HTTP from a real 100k-line build: resume with Last-Event-ID loses and
 * duplicates nothing, a finished build replays whole and closes, and the stream is plain SSE.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { removeImage } from '../helpers/docker-cli.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { readLog } from '../helpers/sse.js';

const LINES = 100_000;

describe('build log streaming', () => {
  let fixtures: Fixtures;
  let service: ServiceProcess;
  let buildId = '';
  let image = '';

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(LINES);
    service = await new ServiceProcess().start();
  });
  after(async () => {
    await service?.stop();
    if (image) removeImage(image);
  });

  it('resumes a dropped stream with Last-Event-ID, losing and duplicating nothing', async () => {
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.chatty
    });
    assert.equal(started.status, 202);
    buildId = started.body.id;
    image = started.body.image;

    const seqs: number[] = [];
    // Drop the connection three times mid-build, each time resuming after the last id seen.
    let last: number | undefined;
    for (const stopAfter of [3, 20, 50]) {
      const part = await readLog(service.url, service.headers(), buildId, {
        lastEventId: last,
        stopAfter
      });
      assert.equal(part.status, 200);
      assert.equal(part.contentType, 'text/event-stream; charset=utf-8');
      assert.equal(part.contentEncoding, null, 'never compressed');
      part.ids.forEach((id, i) =>
        assert.equal(id, String(part.events[i].seq), 'event id is the seq')
      );
      seqs.push(...part.events.map(event => event.seq));
      last = seqs.at(-1);
    }
    const rest = await readLog(service.url, service.headers(), buildId, {
      lastEventId: last
    });
    assert.ok(rest.ended, 'server closed the stream after the final event');
    seqs.push(...rest.events.map(event => event.seq));
    const final = rest.events.at(-1)!;
    assert.equal(final.phase, 'built', final.message);

    // 1..N, each exactly once, in order.
    assert.equal(seqs[0], 1);
    for (let i = 1; i < seqs.length; i++) {
      assert.equal(
        seqs[i],
        seqs[i - 1] + 1,
        `gap or duplicate at ${seqs[i - 1]} -> ${seqs[i]}`
      );
    }
  });

  it('replays a finished build whole and closes; every fixture line arrives once', async () => {
    const whole = await readLog(service.url, service.headers(), buildId);
    assert.ok(whole.ended);
    // An event may carry several lines (those that arrived together); count lines, not events.
    const fixtureLines = whole.events
      .flatMap(event => event.message.split('\n'))
      .filter(line => /^#\d+ [\d.]+ line-\d+-\d+$/.test(line));
    assert.equal(fixtureLines.length, LINES, 'every line the build printed');
    assert.equal(
      new Set(fixtureLines.map(line => line.replace(/^#\d+ [\d.]+ /, ''))).size,
      LINES,
      'no duplicates'
    );
    assert.ok(
      whole.events.length < LINES / 5,
      `lines travel in batches (${whole.events.length} events)`
    );
    const tail = await readLog(service.url, service.headers(), buildId, {
      lastEventId: whole.events.length - 2
    });
    assert.deepEqual(
      tail.events.map(event => event.seq),
      [whole.events.length - 1, whole.events.length]
    );
    const past = await readLog(service.url, service.headers(), buildId, {
      lastEventId: whole.events.length
    });
    assert.equal(past.events.length, 0);
    assert.ok(past.ended);
  });

  it('reports an unknown build as 404 JSON', async () => {
    const response = await service.api('GET', '/api/builds/nope/logs');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'not_found');
  });
});

describe('heartbeat', () => {
  let service: ServiceProcess;
  let fixtures: Fixtures;
  before(async () => {
    fixtures = makeFixtures(10);
    service = await new ServiceProcess({
      config: { builds: { allowLocalRepos: true }, heartbeatSeconds: 0.3 }
    }).start();
  });
  after(async () => service?.stop());

  it('sends comment lines while a build is quiet', async () => {
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.slow
    });
    const comments: string[] = [];
    const reading = readLog(service.url, service.headers(), started.body.id, {
      onComment: c => comments.push(c)
    });
    await new Promise(resolve => setTimeout(resolve, 2500));
    await service.api('DELETE', `/api/builds/${started.body.id}`);
    const result = await reading;
    assert.ok(
      comments.filter(c => c.trim() === 'keepalive').length >= 3,
      `heartbeats: ${comments.length}`
    );
    assert.equal(result.events.at(-1)!.phase, 'cancelled');
  });
});
