import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BuildQueue } from '../../src/builds/queue.js';

interface Item {
  readonly owner: string;
  readonly id: string;
}

function setup(global: number, perUser: number) {
  const started: string[] = [];
  const queue = new BuildQueue<Item>({ global, perUser }, item =>
    started.push(item.id)
  );
  const items = new Map<string, Item>();
  const add = (id: string, owner: string): Item => {
    const item = { id, owner };
    items.set(id, item);
    queue.enqueue(item);
    return item;
  };
  const item = (id: string): Item => items.get(id)!;
  return { queue, started, add, item };
}

describe('BuildQueue', () => {
  it('starts builds at once while under the limits', () => {
    const { queue, started, add } = setup(3, 3);
    add('a1', 'alice');
    add('b1', 'bob');
    assert.deepEqual(started, ['a1', 'b1']);
    assert.equal(queue.runningCount, 2);
    assert.equal(queue.waitingCount, 0);
  });

  it('respects the global limit', () => {
    const { queue, started, add } = setup(2, 5);
    for (const [id, owner] of [
      ['a', 'u1'],
      ['b', 'u2'],
      ['c', 'u3'],
      ['d', 'u4']
    ]) {
      add(id, owner);
    }
    assert.deepEqual(started, ['a', 'b']);
    assert.equal(queue.runningCount, 2);
    assert.equal(queue.waitingCount, 2);
  });

  it('respects the per-user limit', () => {
    const { queue, started, add } = setup(10, 2);
    add('a1', 'alice');
    add('a2', 'alice');
    add('a3', 'alice');
    add('a4', 'alice');
    assert.deepEqual(started, ['a1', 'a2']);
    assert.equal(queue.waitingCount, 2);
  });

  it('serves in FIFO order as slots free', () => {
    const { queue, started, add, item } = setup(1, 1);
    for (const [id, owner] of [
      ['a', 'u1'],
      ['b', 'u2'],
      ['c', 'u3'],
      ['d', 'u4']
    ]) {
      add(id, owner);
    }
    assert.deepEqual(started, ['a']);
    queue.finished(item('a'));
    assert.deepEqual(started, ['a', 'b']);
    queue.finished(item('b'));
    queue.finished(item('c'));
    assert.deepEqual(started, ['a', 'b', 'c', 'd']);
    queue.finished(item('d'));
    assert.equal(queue.runningCount, 0);
    assert.equal(queue.waitingCount, 0);
  });

  it('does not let a user at their limit block other users behind them', () => {
    const { queue, started, add, item } = setup(3, 1);
    add('a1', 'alice');
    add('a2', 'alice');
    add('a3', 'alice');
    add('b1', 'bob');
    add('c1', 'carol');
    assert.deepEqual(started, ['a1', 'b1', 'c1']);
    assert.equal(queue.position(item('a2')), 1);
    assert.equal(queue.position(item('a3')), 2);
    // A slot that frees for someone else does not go to alice, still at her limit.
    queue.finished(item('b1'));
    assert.deepEqual(started, ['a1', 'b1', 'c1']);
    assert.equal(queue.runningCount, 2);
    // alice's own slot goes to her next build, in order.
    queue.finished(item('a1'));
    assert.deepEqual(started, ['a1', 'b1', 'c1', 'a2']);
    queue.finished(item('a2'));
    assert.deepEqual(started, ['a1', 'b1', 'c1', 'a2', 'a3']);
  });

  it('finished() starts the next that fits', () => {
    const { queue, started, add, item } = setup(2, 2);
    add('a1', 'alice');
    add('a2', 'alice');
    add('a3', 'alice');
    add('b1', 'bob');
    assert.deepEqual(started, ['a1', 'a2']);
    queue.finished(item('a1'));
    assert.deepEqual(started, ['a1', 'a2', 'a3']);
    queue.finished(item('a2'));
    assert.deepEqual(started, ['a1', 'a2', 'a3', 'b1']);
    assert.equal(queue.runningCount, 2);
  });

  it('remove() takes out a waiting item, which then never starts', () => {
    const { queue, started, add, item } = setup(1, 1);
    add('a', 'u1');
    add('b', 'u2');
    add('c', 'u3');
    assert.equal(queue.remove(item('b')), true);
    assert.equal(queue.position(item('b')), null);
    assert.equal(queue.position(item('c')), 1);
    assert.equal(queue.waitingCount, 1);
    queue.finished(item('a'));
    assert.deepEqual(started, ['a', 'c']);
  });

  it('remove() refuses running and unknown items', () => {
    const { queue, add } = setup(1, 1);
    const running = add('a', 'u1');
    assert.equal(queue.remove(running), false);
    assert.equal(queue.remove({ id: 'zz', owner: 'u9' }), false);
    assert.equal(queue.runningCount, 1);
  });

  it('position() is 1-based among waiting items and null otherwise', () => {
    const { queue, add, item } = setup(1, 1);
    add('a', 'u1');
    add('b', 'u2');
    add('c', 'u3');
    assert.equal(queue.position(item('a')), null); // running
    assert.equal(queue.position(item('b')), 1);
    assert.equal(queue.position(item('c')), 2);
    queue.finished(item('a'));
    assert.equal(queue.position(item('b')), null);
    assert.equal(queue.position(item('c')), 1);
  });

  it('counts per user correctly over many builds', () => {
    const { queue, started, add, item } = setup(3, 2);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `x${i}`;
      ids.push(id);
      add(id, `user${i % 3}`);
    }
    const runningOf = new Map<string, number>();
    let done = 0;
    while (done < started.length) {
      // Invariants while draining.
      runningOf.clear();
      for (const id of started.slice(done)) {
        const owner = item(id).owner;
        runningOf.set(owner, (runningOf.get(owner) ?? 0) + 1);
      }
      assert.ok(started.length - done <= 3);
      for (const count of runningOf.values()) {
        assert.ok(count <= 2);
      }
      queue.finished(item(started[done]));
      done++;
    }
    assert.deepEqual([...started].sort(), [...ids].sort());
    assert.equal(queue.runningCount, 0);
    assert.equal(queue.waitingCount, 0);
  });
});
