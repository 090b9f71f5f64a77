/**
 * DockerEngine against a fake dockerode (the boundary): retag when untagging fails, the cleanup
 * that must not delete a finished image, label verification, and namespace ownership.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { BuildFailure } from '../../src/backends/backend.js';
import { verifyLabels } from '../../src/backends/local-repo2docker.js';
import { DockerEngine } from '../../src/docker/engine.js';
import { LABEL, toLabels } from '../../src/images/labels.js';

const COMMIT = 'a'.repeat(40);

function labelsOf(
  owner: string,
  name: string,
  buildId = 'b1'
): Record<string, string> {
  return toLabels({
    owner,
    shared: false,
    repo: 'https://example.org/r',
    ref: 'HEAD',
    commit: COMMIT,
    subdir: null,
    name,
    displayName: name,
    buildId,
    builtAt: '2026-01-01T00:00:00.000Z',
    private: false,
    buildArgs: [],
    buildArgsDigest: ''
  });
}

interface FakeImage {
  Id: string;
  RepoTags: string[];
  Labels: Record<string, string>;
}

/** Just enough of dockerode: images by tag or id, tag, remove (optionally failing). */
function fakeDocker(
  images: FakeImage[],
  failUntag = false
): { docker: Docker; calls: string[] } {
  const calls: string[] = [];
  const byRef = (ref: string): FakeImage | undefined =>
    images.find(image => image.Id === ref || image.RepoTags.includes(ref));
  const docker = {
    getImage: (ref: string) => ({
      inspect: async () => {
        const image = byRef(ref);
        if (!image) {
          throw Object.assign(new Error('no such image'), { statusCode: 404 });
        }
        return {
          Id: image.Id,
          RepoTags: image.RepoTags,
          Size: 1,
          Config: { Labels: image.Labels }
        };
      },
      tag: async ({ repo, tag }: { repo: string; tag: string }) => {
        calls.push(`tag ${ref} ${repo}:${tag}`);
        byRef(ref)!.RepoTags.push(`${repo}:${tag}`);
      },
      remove: async (options: { force?: boolean } = {}) => {
        calls.push(`remove ${ref}${options.force ? ' force' : ''}`);
        if (failUntag && !ref.startsWith('sha256:')) {
          throw Object.assign(new Error('engine hiccup'), { statusCode: 500 });
        }
        const image = byRef(ref)!;
        if (image.Id === ref || options.force) {
          images.splice(images.indexOf(image), 1);
        } else {
          image.RepoTags = image.RepoTags.filter(tag => tag !== ref);
          if (image.RepoTags.length === 0) {
            images.splice(images.indexOf(image), 1); // the last tag: the engine deletes the image
          }
        }
      }
    }),
    listImages: async ({ filters }: { filters: { label: string[] } }) => {
      const [key, value] = filters.label[0].split('=');
      return images
        .filter(
          image =>
            key in image.Labels &&
            (value === undefined || image.Labels[key] === value)
        )
        .map(image => ({
          Id: image.Id,
          RepoTags: image.RepoTags,
          Labels: image.Labels,
          Size: 1
        }));
    },
    listContainers: async () => []
  } as unknown as Docker;
  return { docker, calls };
}

describe('DockerEngine retag and cleanup', () => {
  it('a failed untag after the retag does not fail the build, and the cleanup would keep the final image', async () => {
    const temporary = `r2d-alice/x:build-b1`;
    const final = `r2d-alice/x:${COMMIT}`;
    const images = [
      { Id: 'sha256:1', RepoTags: [temporary], Labels: labelsOf('alice', 'x') }
    ];
    const { docker, calls } = fakeDocker(images, true);
    const engine = new DockerEngine(docker);
    await engine.retag(temporary, final); // resolves: the image is complete
    assert.ok(images[0].RepoTags.includes(final));
    assert.equal(
      calls.filter(call => call === `remove ${temporary}`).length,
      2,
      'the untag is tried twice'
    );
    // Had the manager cleaned up anyway: the image with its final name is not deleted.
    const healthy = fakeDocker(images);
    await new DockerEngine(healthy.docker).removeBuildArtifacts('b1');
    assert.equal(images.length, 1, 'the finished image is still there');
    assert.deepEqual(images[0].RepoTags, [final]);
    assert.ok(!healthy.calls.some(call => call.endsWith('force')));
  });

  it('the cleanup still removes an image that has only its temporary tag', async () => {
    const images = [
      {
        Id: 'sha256:2',
        RepoTags: ['r2d-alice/x:build-b2'],
        Labels: labelsOf('alice', 'x', 'b2')
      }
    ];
    const { docker } = fakeDocker(images);
    assert.deepEqual(
      await new DockerEngine(docker).removeBuildArtifacts('b2'),
      { images: 1, containers: 0 }
    );
    assert.equal(images.length, 0);
  });
});

describe('DockerEngine ownership and label verification', () => {
  it("lists an image as X's only in X's namespace, with the commit as its tag", async () => {
    const images = [
      {
        Id: 'sha256:a',
        RepoTags: [
          `r2d-alice/x:${COMMIT}`,
          'r2d-alice/x:build-b1',
          'r2d-alice/x:latest'
        ],
        Labels: labelsOf('alice', 'x')
      },
      {
        Id: 'sha256:b',
        RepoTags: [`r2d-alice/y:${COMMIT}`],
        Labels: labelsOf('bob', 'y')
      },
      {
        Id: 'sha256:c',
        RepoTags: [`r2d-bob/z:${COMMIT}`],
        Labels: labelsOf('alice', 'z')
      },
      {
        Id: 'sha256:d',
        RepoTags: [`r2d-alice/other:${COMMIT}`],
        Labels: labelsOf('alice', 'w')
      }
    ];
    const engine = new DockerEngine(fakeDocker(images).docker, {
      template: 'r2d-{owner}/{name}',
      repositoryPrefix: ''
    });
    assert.deepEqual(
      (await engine.list()).map(image => image.name),
      [`r2d-alice/x:${COMMIT}`]
    );
    assert.equal(await engine.find(`r2d-alice/y:${COMMIT}`), null);
    assert.equal(await engine.find(`r2d-bob/z:${COMMIT}`), null);
    assert.equal(
      (await engine.find('r2d-alice/x:build-b1'))?.buildId,
      'b1',
      'the manager finds its temporary tag'
    );
  });

  it("the local backend's verifyLabels accepts exactly our labels (others ignored) and removes an image with any other of ours", async () => {
    const expected = labelsOf('alice', 'x');
    const images = [
      {
        Id: 'sha256:ok',
        RepoTags: ['r2d-alice/x:build-ok'],
        Labels: {
          ...expected,
          'repo2docker.ref': 'None',
          'org.opencontainers.image.title': 'base'
        }
      },
      {
        Id: 'sha256:extra',
        RepoTags: ['r2d-alice/x:build-extra'],
        Labels: {
          ...expected,
          ['org.jupyter.repo2docker-service.shared-too']: 'true'
        }
      },
      {
        Id: 'sha256:other',
        RepoTags: ['r2d-alice/x:build-other'],
        Labels: { ...expected, [LABEL.owner]: 'bob' }
      },
      {
        Id: 'sha256:missing',
        RepoTags: ['r2d-alice/x:build-missing'],
        Labels: { [LABEL.owner]: 'alice' }
      }
    ];
    const engine = new DockerEngine(fakeDocker(images).docker);
    await verifyLabels(engine, 'r2d-alice/x:build-ok', expected);
    for (const tag of ['extra', 'other', 'missing']) {
      await assert.rejects(
        verifyLabels(engine, `r2d-alice/x:build-${tag}`, expected),
        (error: Error) => {
          assert.ok(error instanceof BuildFailure);
          assert.match(
            error.message,
            /the image's labels do not match what the service set/
          );
          return true;
        }
      );
      assert.ok(
        !images.some(image => image.Id === `sha256:${tag}`),
        `${tag} was removed`
      );
    }
  });
});
