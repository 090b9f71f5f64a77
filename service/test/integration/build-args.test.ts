/**
 * Build arguments through the running service, the real repo2docker and the real engine: a
 * Dockerfile fixture with `ARG GREETING` writes it into the image; the same request again is
 * already built; another value builds anew (and replaces the image under the same name).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageLabels, removeImage } from '../helpers/docker-cli.js';
import { git } from '../helpers/git-repo.js';
import { requireRealParts } from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';

const LABEL = 'org.jupyter.repo2docker-service.';
const nonce = randomBytes(4).toString('hex');

/** `/greeting` of `image`, read by running busybox in it (no network: --network none). */
function greetingOf(image: string): string {
  return execFileSync(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      '/bin/busybox',
      image,
      'cat',
      '/greeting'
    ],
    {
      encoding: 'utf8'
    }
  ).trim();
}

describe('build arguments', () => {
  let dir = '';
  let repo = '';
  let service: ServiceProcess;
  const made = new Set<string>();

  before(async () => {
    requireRealParts();
    dir = mkdtempSync(join(tmpdir(), 'r2d-build-args-'));
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    writeFileSync(
      join(dir, 'Dockerfile'),
      `FROM scratch\nCOPY busybox /bin/busybox\nARG GREETING\nRUN ["/bin/busybox", "sh", "-c", "echo \\"$GREETING\\" > /greeting # ${nonce}"]\n`
    );
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'build args fixture');
    repo = `file://${dir}`;
    service = await new ServiceProcess().start();
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reach the Dockerfile as argv; shown in the build; names and a digest labelled, not the values', async () => {
    const value = `hello -x ${nonce} 'quoted' $HOME`;
    const started = await service.api('POST', '/api/builds', {
      repo,
      name: 'args',
      buildArgs: { GREETING: value }
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.deepEqual(started.body.buildArgs, { GREETING: value });
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'built', JSON.stringify(build));
    made.add(build.image);
    assert.equal(
      greetingOf(build.image),
      value,
      'the value as given: no shell expanded or split it'
    );
    const labels = imageLabels(build.image)!;
    assert.equal(labels[`${LABEL}build-args`], 'GREETING');
    assert.match(labels[`${LABEL}build-args-digest`], /^sha256:[0-9a-f]{64}$/);
    assert.ok(
      !JSON.stringify(labels).includes(nonce),
      'no label holds the value'
    );

    const again = await service.api('POST', '/api/builds', {
      repo,
      name: 'args',
      buildArgs: { GREETING: value }
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.alreadyBuilt, true);

    const other = await service.api('POST', '/api/builds', {
      repo,
      name: 'args',
      buildArgs: { GREETING: 'another' }
    });
    assert.equal(other.status, 202, 'another value is a new build');
    const rebuilt = await service.waitForBuild(other.body.id);
    assert.equal(rebuilt.phase, 'built', JSON.stringify(rebuilt));
    assert.equal(
      rebuilt.image,
      build.image,
      'the same name: the newer build replaces it'
    );
    assert.equal(greetingOf(rebuilt.image), 'another');
    const images = (await service.api('GET', '/api/images')).body.images.filter(
      (image: { name: string }) => image.name === build.image
    );
    assert.equal(images.length, 1);
    assert.deepEqual(images[0].buildArgs, ['GREETING']);
    assert.equal(images[0].buildId, rebuilt.id);
  });

  it('bad build arguments: 400 naming buildArgs.NAME', async () => {
    for (const [buildArgs, field] of [
      [{ '1X': 'a' }, 'buildArgs.1X'],
      [{ GREETING: 'a\nRUN evil' }, 'buildArgs.GREETING'],
      [{ GREETING: 7 }, 'buildArgs.GREETING'],
      [{ NB_UID: '0' }, 'buildArgs.NB_UID'],
      [['GREETING=a'], 'buildArgs']
    ] as const) {
      const answer = await service.api('POST', '/api/builds', {
        repo,
        buildArgs
      });
      assert.equal(answer.status, 400, JSON.stringify(buildArgs));
      assert.equal(answer.body.error.code, 'invalid_field');
      assert.equal(answer.body.error.field, field);
    }
  });
});
