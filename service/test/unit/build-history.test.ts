/** Retention that is fair per owner, and "already built" answers that cost no log slot. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BuildRecord } from '../../src/builds/build-record.js';
import { BuildHistory } from '../../src/builds/build-history.js';
import { finishedRecord, makeSpec } from '../helpers/unit-builds.js';

function finish(
  registry: BuildHistory,
  owner: string,
  lines = 1,
  bytesEach = 10
): BuildRecord {
  const record = finishedRecord(lines, bytesEach, 'built', { owner });
  registry.add(record);
  registry.markFinished(record);
  return record;
}

/** What the manager makes for a request whose image exists already. */
function answer(registry: BuildHistory, owner: string): BuildRecord {
  const record = new BuildRecord(makeSpec({ owner }));
  record.alreadyBuilt = true;
  registry.add(record);
  record.finish(
    'built',
    'r2d-x/y:z already exists in the Docker engine; nothing to build'
  );
  registry.markFinished(record);
  return record;
}

describe('BuildHistory fairness', () => {
  it("one owner's flood of builds drops only that owner's logs (count bound)", () => {
    const registry = new BuildHistory({ maxBuilds: 10, maxBytes: 1e9 });
    const alice = finish(registry, 'alice');
    const mallory = Array.from({ length: 500 }, () =>
      finish(registry, 'mallory')
    );
    assert.equal(alice.logAvailable, true, "alice's log survives");
    assert.equal(registry.get(alice.id), alice, 'and so does her record');
    assert.equal(
      mallory.filter(b => b.logAvailable).length,
      9,
      'mallory keeps the rest of the slots, newest first'
    );
    assert.ok(mallory.at(-1)!.logAvailable && !mallory[0].logAvailable);
    assert.equal(registry.retained.logs, 10);
    assert.ok(registry.retained.records <= 20);
  });

  it("one owner's huge logs drop only that owner's logs (byte bound)", () => {
    const registry = new BuildHistory({ maxBuilds: 100, maxBytes: 1000 });
    const alice = finish(registry, 'alice', 10, 10); // 100 bytes
    const big = Array.from({ length: 20 }, () =>
      finish(registry, 'mallory', 3, 100)
    ); // 300 bytes each
    assert.equal(alice.logAvailable, true);
    assert.ok(registry.retained.bytes <= 1000);
    assert.equal(big.filter(b => b.logAvailable).length, 3);
  });

  it('evicts from whoever holds the most, so owners converge to fair shares', () => {
    const registry = new BuildHistory({ maxBuilds: 9, maxBytes: 1e9 });
    const kept = (owner: string, records: BuildRecord[]) =>
      records.filter(r => r.owner === owner && r.logAvailable).length;
    const all: BuildRecord[] = [];
    for (let i = 0; i < 30; i++) {
      for (const owner of ['a', 'b', 'c']) {
        all.push(finish(registry, owner));
      }
    }
    assert.deepEqual(
      ['a', 'b', 'c'].map(owner => kept(owner, all)),
      [3, 3, 3]
    );
  });

  it('keeps the oldest of the other owners when it must drop whole records too', () => {
    const registry = new BuildHistory({ maxBuilds: 2, maxBytes: 1e9 });
    const alice = finish(registry, 'alice');
    for (let i = 0; i < 50; i++) {
      finish(registry, 'mallory');
    }
    assert.equal(
      registry.get(alice.id),
      alice,
      "alice's record is not dropped for mallory's"
    );
    assert.equal(registry.retained.records, 4);
  });

  it('still drops the oldest first when there is one owner', () => {
    const registry = new BuildHistory({ maxBuilds: 3, maxBytes: 1e9 });
    const records = Array.from({ length: 5 }, () => finish(registry, 'alice'));
    assert.deepEqual(
      records.map(r => r.logAvailable),
      [false, false, true, true, true]
    );
  });
});

describe('BuildHistory "already built" answers', () => {
  it('cost no log slot: 500 answers leave every build log in place', () => {
    const registry = new BuildHistory({ maxBuilds: 5, maxBytes: 1e9 });
    const logs = [finish(registry, 'alice'), finish(registry, 'mallory')];
    for (let i = 0; i < 500; i++) {
      answer(registry, 'mallory');
    }
    assert.ok(
      logs.every(
        record => record.logAvailable && registry.get(record.id) === record
      )
    );
    assert.equal(registry.retained.logs, 2);
  });

  it('are kept a few per owner (the newest), and a bounded number in all', () => {
    const registry = new BuildHistory({
      maxBuilds: 5,
      maxBytes: 1e9,
      maxAnswersPerOwner: 3,
      maxAnswers: 5
    });
    const mallory = Array.from({ length: 10 }, () =>
      answer(registry, 'mallory')
    );
    assert.deepEqual(
      mallory.map(r => registry.get(r.id) !== undefined),
      [false, false, false, false, false, false, false, true, true, true]
    );
    const alice = [answer(registry, 'alice'), answer(registry, 'alice')];
    const bob = answer(registry, 'bob');
    assert.equal(registry.retained.answers, 5);
    assert.ok(
      alice.every(r => registry.get(r.id) === r),
      'the pool evicts from the owner with the most'
    );
    assert.equal(registry.get(bob.id), bob);
    assert.equal(mallory.filter(r => registry.get(r.id)).length, 2);
    assert.equal(
      mallory[9].logAvailable,
      true,
      'an answer keeps its one-line log while kept'
    );
  });
});
