import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BuildFailure } from '../../src/backends/backend.js';
import {
  BuildRecord,
  FINAL_PHASES,
  formatBytes,
  LogTooLarge
} from '../../src/builds/build-record.js';
import { BuildHistory } from '../../src/builds/build-history.js';
import {
  finishedRecord,
  makeRecord,
  makeSpec
} from '../helpers/unit-builds.js';

describe('BuildRecord', () => {
  it('starts queued, with no events', () => {
    const record = makeRecord();
    assert.equal(record.phase, 'queued');
    assert.equal(record.lastSeq, 0);
    assert.equal(record.isFinal, false);
    assert.equal(record.logAvailable, true);
    assert.deepEqual(record.eventsAfter(0, 10), []);
  });

  it('numbers events from 1, contiguously', () => {
    const record = makeRecord();
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) {
      seqs.push(
        record.append(i < 5 ? 'fetching' : 'building', `line ${i}`).seq
      );
    }
    record.finish('built', 'done');
    assert.deepEqual(
      seqs,
      Array.from({ length: 20 }, (_, i) => i + 1)
    );
    assert.equal(record.lastSeq, 21);
    const all = record.eventsAfter(0, 1000);
    assert.deepEqual(
      all.map(event => event.seq),
      Array.from({ length: 21 }, (_, i) => i + 1)
    );
    assert.equal(all[20].phase, 'built');
    assert.equal(all[20].message, 'done');
  });

  it('records phase and progress on the build and in the event', () => {
    const record = makeRecord();
    record.append('building', '#5 [2/3] RUN x', { current: 2, total: 3 });
    const plain = record.append('building', '#5 0.1 output');
    assert.equal(record.phase, 'building');
    assert.deepEqual(record.progress, { current: 2, total: 3 }); // kept across lines without progress
    assert.equal('progress' in plain, false);
    assert.deepEqual(record.eventsAfter(0, 1)[0].progress, {
      current: 2,
      total: 3
    });
    assert.ok(!Number.isNaN(Date.parse(plain.time)));
  });

  it('slices events after a sequence number', () => {
    const record = makeRecord();
    for (let i = 1; i <= 10; i++) {
      record.append('building', `m${i}`);
    }
    assert.deepEqual(
      record.eventsAfter(0, 3).map(e => e.seq),
      [1, 2, 3]
    );
    assert.deepEqual(
      record.eventsAfter(4, 3).map(e => e.message),
      ['m5', 'm6', 'm7']
    );
    assert.deepEqual(
      record.eventsAfter(8, 100).map(e => e.seq),
      [9, 10]
    );
    assert.deepEqual(record.eventsAfter(10, 100), []);
    assert.deepEqual(record.eventsAfter(500, 100), []);
    assert.deepEqual(
      record.eventsAfter(-5, 2).map(e => e.seq),
      [1, 2]
    );
    assert.deepEqual(record.eventsAfter(3, 0), []);
  });

  it('refuses to append after a final phase', () => {
    for (const phase of ['built', 'failed', 'cancelled'] as const) {
      const record = makeRecord();
      record.append('building', 'x');
      record.finish(phase, 'end', phase === 'built' ? null : 'why');
      assert.equal(record.isFinal, true);
      assert.ok(FINAL_PHASES.has(phase));
      assert.throws(() => record.append('building', 'late'), /already/);
      assert.equal(record.lastSeq, 2);
    }
  });

  // BUG (src/builds/build-record.ts, finish): `error` and `finishedAt` are set before `append`
  // throws, so a second finish() on a final build changes its recorded error and end time.
  it('leaves a finished build unchanged when finished again', () => {
    const record = makeRecord();
    record.finish('built', 'Built');
    const finishedAt = record.finishedAt;
    assert.throws(() => record.finish('failed', 'Build failed: late', 'late'));
    assert.equal(record.phase, 'built');
    assert.equal(record.error, null);
    assert.equal(record.finishedAt, finishedAt);
  });

  it('notifies subscribers on every append and on finish, until they unsubscribe', () => {
    const record = makeRecord();
    let a = 0;
    let b = 0;
    const offA = record.subscribe(() => a++);
    const offB = record.subscribe(() => b++);
    assert.equal(record.subscriberCount, 2);
    record.append('fetching', '1');
    record.append('building', '2');
    assert.equal(a, 2);
    assert.equal(b, 2);
    offA();
    assert.equal(record.subscriberCount, 1);
    record.append('building', '3');
    assert.equal(a, 2);
    assert.equal(b, 3);
    record.finish('failed', 'Build failed: x', 'x');
    assert.equal(b, 4);
    offB();
    assert.equal(record.subscriberCount, 0);
  });

  it('sees the new event from inside the notification', () => {
    const record = makeRecord();
    const seen: number[] = [];
    record.subscribe(() => seen.push(record.lastSeq));
    record.append('building', 'a');
    record.append('building', 'b');
    assert.deepEqual(seen, [1, 2]);
  });

  it('toApi gives every field of the API', () => {
    const spec = makeSpec({
      id: 'abc123',
      owner: 'Alice',
      shared: true,
      subdir: 'binder',
      name: 'img',
      displayName: 'My image'
    });
    const record = new BuildRecord(spec);
    const queued = record.toApi(3);
    assert.deepEqual(queued, {
      id: 'abc123',
      owner: 'Alice',
      shared: true,
      repo: spec.repo,
      ref: spec.ref,
      commit: spec.commit,
      subdir: 'binder',
      name: 'img',
      displayName: 'My image',
      image: spec.image,
      push: false,
      phase: 'queued',
      progress: null,
      error: null,
      alreadyBuilt: false,
      queuePosition: 3,
      createdAt: record.createdAt.toISOString(),
      startedAt: null,
      finishedAt: null,
      logAvailable: true,
      private: false,
      buildArgs: {},
      folder: null
    });
    record.startedAt = new Date('2026-01-01T00:00:00Z');
    record.append('building', '#1 [1/2] FROM', { current: 1, total: 2 });
    record.finish('failed', 'Build failed: boom', 'boom');
    record.dropLog();
    const done = record.toApi();
    assert.equal(done.phase, 'failed');
    assert.equal(done.error, 'boom');
    assert.equal(done.queuePosition, null);
    assert.equal(done.startedAt, '2026-01-01T00:00:00.000Z');
    assert.equal(done.finishedAt, record.finishedAt?.toISOString());
    assert.deepEqual(done.progress, { current: 1, total: 2 });
    assert.equal(done.logAvailable, false);
    // What the API sends survives a JSON round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(done)), done);
  });

  it('counts log bytes and forgets them when the log is dropped', () => {
    const record = makeRecord();
    record.append('building', 'abcde');
    record.append('building', 'xyz');
    assert.equal(record.bytes, 8);
    record.finish('built', '');
    record.dropLog();
    assert.equal(record.bytes, 0);
    assert.equal(record.logAvailable, false);
    assert.deepEqual(record.eventsAfter(0, 10), []);
    assert.equal(record.phase, 'built');
  });

  // BUG (src/builds/build-record.ts, append): `logBytes += message.length` counts UTF-16 code
  // units, not bytes, so logs.maxBytes ("bytes of log text") undercounts non-ASCII output.
  it('counts log size in UTF-8 bytes', () => {
    const record = makeRecord();
    record.append('building', 'é'); // 2 bytes
    record.append('building', '日本'); // 6 bytes
    record.append('building', '😀'); // 4 bytes
    assert.equal(record.bytes, 12);
  });
});

describe('BuildRecord log cap (logs.maxBuildBytes)', () => {
  it('stops keeping lines past the cap and aborts the build with a message that says so', () => {
    const record = makeRecord();
    record.limitLog(100);
    record.append('building', 'x'.repeat(60));
    record.append('building', 'y'.repeat(40)); // exactly at the cap: kept
    assert.equal(record.abort.signal.aborted, false);
    assert.equal(record.lastSeq, 2);
    record.append('building', 'z'); // one byte past
    assert.equal(
      record.abort.signal.aborted,
      true,
      'the manager is told to stop the build'
    );
    const reason = record.abort.signal.reason as LogTooLarge;
    assert.ok(reason instanceof LogTooLarge);
    assert.ok(
      reason instanceof BuildFailure,
      'a BuildFailure: the manager shows its message and cleans up'
    );
    assert.equal(
      reason.message,
      "the build's log passed 100 bytes; the build was stopped"
    );
    for (let i = 0; i < 1000; i++) {
      record.append(
        'building',
        'more output the build printed before it was killed'
      );
    }
    assert.equal(record.lastSeq, 2, 'nothing past the cap is kept');
    assert.equal(record.bytes, 100);
    // The final event is always kept, so readers learn why the build ended.
    record.finish('failed', `Build failed: ${reason.message}`, reason.message);
    assert.equal(record.lastSeq, 3);
    assert.equal(
      record.eventsAfter(2, 1)[0].message,
      "Build failed: the build's log passed 100 bytes; the build was stopped"
    );
    assert.equal(record.phase, 'failed');
  });

  it('says the default cap as people read it', () => {
    assert.equal(
      new LogTooLarge(64 * 1024 * 1024).message,
      "the build's log passed 64 MiB; the build was stopped"
    );
    assert.equal(formatBytes(1536), '1.5 KiB');
  });

  it('is given to every record the registry adds', () => {
    const registry = new BuildHistory({
      maxBuilds: 10,
      maxBytes: 1e9,
      maxBuildBytes: 10
    });
    const record = makeRecord();
    registry.add(record);
    record.append('building', 'x'.repeat(11));
    assert.equal(record.abort.signal.aborted, true);
  });

  it('has no cap by default', () => {
    const record = makeRecord();
    record.append('building', 'x'.repeat(1_000_000));
    assert.equal(record.abort.signal.aborted, false);
  });
});

describe('BuildHistory', () => {
  it('adds, gets and lists builds, active ones apart', () => {
    const registry = new BuildHistory({ maxBuilds: 10, maxBytes: 1e9 });
    const running = makeRecord();
    const done = finishedRecord(1);
    registry.add(running);
    registry.add(done);
    registry.markFinished(done);
    assert.equal(registry.get(running.id), running);
    assert.equal(registry.get('nope'), undefined);
    assert.deepEqual(new Set(registry.all()), new Set([running, done]));
    assert.deepEqual(registry.active(), [running]);
  });

  it('drops the oldest finished logs first past maxBuilds', () => {
    const registry = new BuildHistory({ maxBuilds: 2, maxBytes: 1e9 });
    const records = [
      finishedRecord(3),
      finishedRecord(3),
      finishedRecord(3),
      finishedRecord(3)
    ];
    for (const record of records) {
      registry.add(record);
      registry.markFinished(record);
    }
    assert.deepEqual(
      records.map(r => r.logAvailable),
      [false, false, true, true]
    );
    assert.equal(records[3].lastSeq, 4);
    assert.equal(records[0].lastSeq, 0);
    // The summaries stay answerable.
    for (const record of records) {
      assert.equal(registry.get(record.id), record);
    }
  });

  it('never drops the logs of active builds', () => {
    const registry = new BuildHistory({ maxBuilds: 1, maxBytes: 10 });
    const active = [makeRecord(), makeRecord(), makeRecord()];
    for (const record of active) {
      registry.add(record);
      for (let i = 0; i < 10; i++) {
        record.append('building', 'x'.repeat(100));
      }
    }
    for (let i = 0; i < 5; i++) {
      const done = finishedRecord(5, 100);
      registry.add(done);
      registry.markFinished(done);
    }
    for (const record of active) {
      assert.equal(record.logAvailable, true);
      assert.equal(record.lastSeq, 10);
      assert.equal(registry.get(record.id), record);
    }
    assert.equal(registry.active().length, 3);
  });

  it('drops the oldest finished logs first past maxBytes', () => {
    const registry = new BuildHistory({ maxBuilds: 100, maxBytes: 250 });
    const records = [
      finishedRecord(1, 100),
      finishedRecord(1, 100),
      finishedRecord(1, 100)
    ];
    for (const record of records) {
      registry.add(record);
      registry.markFinished(record);
    }
    // 300 bytes over 250: only the oldest goes.
    assert.deepEqual(
      records.map(r => r.logAvailable),
      [false, true, true]
    );
    const big = finishedRecord(1, 240);
    registry.add(big);
    registry.markFinished(big);
    // 440 bytes: both of the older ones go, the newest (240) stays.
    assert.deepEqual(
      [...records, big].map(r => r.logAvailable),
      [false, false, false, true]
    );
  });

  it('drops the whole record of finished builds past twice maxBuilds, oldest first', () => {
    const registry = new BuildHistory({ maxBuilds: 2, maxBytes: 1e9 });
    const active = makeRecord();
    registry.add(active);
    const records = Array.from({ length: 7 }, () => finishedRecord(1));
    for (const record of records) {
      registry.add(record);
      registry.markFinished(record);
    }
    // 4 (2 × maxBuilds) finished records stay: the newest.
    assert.deepEqual(
      records.map(r => registry.get(r.id) !== undefined),
      [false, false, false, true, true, true, true]
    );
    assert.deepEqual(
      records.map(r => r.logAvailable),
      [false, false, false, false, false, true, true]
    );
    assert.equal(registry.get(active.id), active);
    assert.equal(registry.all().length, 5);
  });

  it('keeps everything within the bounds', () => {
    const registry = new BuildHistory({ maxBuilds: 3, maxBytes: 1e9 });
    const records = [finishedRecord(2), finishedRecord(2), finishedRecord(2)];
    for (const record of records) {
      registry.add(record);
      registry.markFinished(record);
    }
    assert.ok(records.every(r => r.logAvailable));
    assert.equal(registry.all().length, 3);
  });
});
