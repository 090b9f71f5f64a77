/**
 * Identical requests join one build whatever the timing, on the real engine and repo2docker:
 * 20 requests at once for a commit never built → one repo2docker run. Runs are counted by a
 * wrapper that appends a line to a file and then execs the real repo2docker.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeImage } from '../helpers/docker-cli.js';
import {
  makeFixtures,
  OFFLINE_CONFIG,
  REPO2DOCKER,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';

describe('joining identical requests', () => {
  let fixtures: Fixtures;
  let service: ServiceProcess;
  let runs: string;
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(10);
    const dir = mkdtempSync(join(tmpdir(), 'r2d-join-'));
    runs = join(dir, 'runs');
    writeFileSync(runs, '');
    const wrapper = join(dir, 'repo2docker');
    writeFileSync(
      wrapper,
      `#!/bin/sh\necho run >> '${runs}'\nexec '${REPO2DOCKER}' "$@"\n`
    );
    chmodSync(wrapper, 0o755);
    service = await new ServiceProcess({
      config: {
        repo2docker: { command: [wrapper], configFile: OFFLINE_CONFIG },
        builds: { allowLocalRepos: true, maxQueuedPerUser: 30 }
      }
    }).start();
  });
  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
  });

  it('20 identical requests at once → one build id, one repo2docker run, one image', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        service.api('POST', '/api/builds', { repo: fixtures.ok, ref: 'main' })
      )
    );
    assert.deepEqual([...new Set(answers.map(a => a.status))], [202]);
    const ids = new Set(answers.map(a => a.body.id));
    assert.equal(ids.size, 1, `one build, got ${[...ids].join(', ')}`);
    const build = await service.waitForBuild([...ids][0]);
    made.push(build.image);
    assert.equal(build.phase, 'built', build.error);
    assert.equal(
      readFileSync(runs, 'utf8').trim().split('\n').length,
      1,
      'repo2docker ran once'
    );

    // Once built, 20 more at once are all answered from the image, still without a run.
    const again = await Promise.all(
      Array.from({ length: 20 }, () =>
        service.api('POST', '/api/builds', { repo: fixtures.ok, ref: 'main' })
      )
    );
    assert.deepEqual([...new Set(again.map(a => a.status))], [200]);
    assert.ok(
      again.every(a => a.body.alreadyBuilt && a.body.image === build.image)
    );
    assert.equal(readFileSync(runs, 'utf8').trim().split('\n').length, 1);
  });

  it('the same at random moments over the resolve, lookup and build: still one run', async () => {
    writeFileSync(runs, '');
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await new Promise(resolve => setTimeout(resolve, Math.random() * 300));
        return service.api('POST', '/api/builds', {
          repo: fixtures.slow.replace('slow', 'fail'),
          ref: 'v1',
          displayName: `try ${i}`
        });
      })
    );
    const ids = new Set(answers.map(a => a.body.id));
    assert.equal(ids.size, 1);
    const build = await service.waitForBuild([...ids][0]);
    assert.equal(build.phase, 'failed');
    assert.match(
      build.error,
      /^step 3\/3 `RUN .*exit 3.*` exited with code 3$/,
      'the failure in plain words'
    );
    assert.equal(readFileSync(runs, 'utf8').trim().split('\n').length, 1);
  });
});
