/** Lines that arrive together become one event; steps and phase changes start a new one. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

const tick = () => sleep(20); // past the batcher's 5 ms window
import { describe, it } from 'node:test';
import type { BuildPhase, BuildProgress } from '../../src/api/contract.js';
import { LineBatcher } from '../../src/builds/line-batcher.js';

function recorder() {
  const events: {
    phase: BuildPhase;
    message: string;
    progress: BuildProgress | null;
  }[] = [];
  return {
    events,
    append: (
      phase: BuildPhase,
      message: string,
      progress: BuildProgress | null
    ) => void events.push({ phase, message, progress })
  };
}

describe('LineBatcher', () => {
  it('joins the lines of one time window into one event', async () => {
    const { events, append } = recorder();
    const batcher = new LineBatcher(append);
    batcher.line('building', 'a', null);
    batcher.line('building', 'b', null);
    assert.equal(events.length, 0, 'nothing until the window ends');
    await tick();
    assert.deepEqual(events, [
      { phase: 'building', message: 'a\nb', progress: null }
    ]);
    batcher.line('building', 'c', null);
    await tick();
    assert.equal(events.length, 2);
    assert.equal(events[1].message, 'c');
  });

  it('keeps a step header with progress as its own event, after what came before', () => {
    const { events, append } = recorder();
    const batcher = new LineBatcher(append);
    batcher.line('building', 'before', null);
    batcher.line('building', '#5 [2/3] RUN x', { current: 2, total: 3 });
    batcher.line('building', 'after', null);
    batcher.flush();
    assert.deepEqual(
      events.map(e => [e.message, e.progress]),
      [
        ['before', null],
        ['#5 [2/3] RUN x', { current: 2, total: 3 }],
        ['after', null]
      ]
    );
  });

  it('starts a new event when the phase changes, and caps a batch', () => {
    const { events, append } = recorder();
    const batcher = new LineBatcher(append, 3);
    batcher.line('fetching', 'f1', null);
    batcher.line('building', 'b1', null);
    for (const line of ['b2', 'b3', 'b4']) batcher.line('building', line, null);
    batcher.flush();
    assert.deepEqual(
      events.map(e => [e.phase, e.message]),
      [
        ['fetching', 'f1'],
        ['building', 'b1\nb2\nb3'],
        ['building', 'b4']
      ]
    );
  });

  it('flush leaves nothing behind and a late tick appends nothing twice', async () => {
    const { events, append } = recorder();
    const batcher = new LineBatcher(append);
    batcher.line('building', 'x', null);
    batcher.flush();
    await tick();
    assert.equal(events.length, 1);
  });
});
