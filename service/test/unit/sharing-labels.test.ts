/**
 * Sharing as labels (images/labels.ts), the request body (images/sharing.ts), and the registry's
 * re-labelled config and manifest (registry/distribution.ts): what travels with the image, what a
 * forged label reads as, and that the layers stay the same.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ApiError } from '../../src/api/errors.js';
import {
  fromLabels,
  LABEL,
  labelsDiffer,
  sharingLabels,
  sharingOf,
  toLabels
} from '../../src/images/labels.js';
import { validateSharingRequest } from '../../src/images/sharing.js';
import {
  configWithLabels,
  labelsOfConfig,
  manifestWithConfig,
  parseManifest
} from '../../src/registry/distribution.js';

const base = {
  owner: 'alice',
  shared: false,
  repo: 'https://example.org/r.git',
  ref: 'main',
  commit: 'abc',
  subdir: null,
  name: 'r',
  displayName: 'r',
  buildId: 'b1',
  builtAt: '2026-01-01T00:00:00Z',
  private: false,
  buildArgs: [],
  buildArgsDigest: ''
};

const refusal = (body: unknown): { field?: string } => {
  try {
    validateSharingRequest(body);
  } catch (error) {
    return (error as ApiError).extra;
  }
  assert.fail(`accepted ${JSON.stringify(body)}`);
};

describe('sharing labels', () => {
  it('labels a new build owner-only, and reads its choice back', () => {
    const labels = toLabels(base);
    assert.equal(labels[LABEL.sharing], 'owner');
    assert.equal(labels[LABEL.sharingGroups], '[]');
    assert.deepEqual(fromLabels(labels)!.sharing, {
      visibility: 'owner',
      groups: []
    });
    const shared = toLabels({
      ...base,
      sharing: { visibility: 'groups', groups: ['b', 'a,c'] }
    });
    assert.deepEqual(fromLabels(shared)!.sharing, {
      visibility: 'groups',
      groups: ['a,c', 'b']
    });
    // An image built before sharing existed has no such labels: owner-only.
    const old = { ...labels };
    delete old[LABEL.sharing];
    delete old[LABEL.sharingGroups];
    assert.deepEqual(fromLabels(old)!.sharing, {
      visibility: 'owner',
      groups: []
    });
  });

  it('reads anything it would not have written as owner-only, never wider', () => {
    for (const [visibility, groups] of [
      ['public', '[]'],
      ['groups', 'course-101'],
      ['groups', '[]'],
      ['groups', '[1]'],
      ['groups', '[""]'],
      ['Everyone', '[]']
    ]) {
      assert.deepEqual(
        sharingOf({
          [LABEL.sharing]: visibility,
          [LABEL.sharingGroups]: groups
        }),
        { visibility: 'owner', groups: [] },
        `${visibility} ${groups}`
      );
    }
    // "everyone" ignores stray groups.
    assert.deepEqual(
      sharingOf({
        [LABEL.sharing]: 'everyone',
        [LABEL.sharingGroups]: '["x"]'
      }),
      { visibility: 'everyone', groups: [] }
    );
  });

  it('lets the provenance check refuse an image whose Dockerfile set sharing labels itself', () => {
    const expected = toLabels(base);
    const forged = {
      ...expected,
      ...sharingLabels({ visibility: 'everyone', groups: [] })
    };
    assert.deepEqual(labelsDiffer(forged, expected), [LABEL.sharing]);
    assert.deepEqual(labelsDiffer(expected, expected), []);
    // The labels we set after a re-label agree with themselves (what `find` reads back).
    const relabelled = {
      ...expected,
      ...sharingLabels({ visibility: 'groups', groups: ['course-101'] })
    };
    assert.deepEqual(fromLabels(relabelled)!.sharing, {
      visibility: 'groups',
      groups: ['course-101']
    });
  });
});

describe('sharing requests', () => {
  it('accepts the three choices, sorted and without duplicates', () => {
    assert.deepEqual(
      validateSharingRequest({ visibility: 'owner', groups: [] }),
      {
        visibility: 'owner',
        groups: []
      }
    );
    assert.deepEqual(validateSharingRequest({ visibility: 'everyone' }), {
      visibility: 'everyone',
      groups: []
    });
    assert.deepEqual(
      validateSharingRequest({ visibility: 'groups', groups: ['b', 'a', 'b'] }),
      { visibility: 'groups', groups: ['a', 'b'] }
    );
  });

  it('refuses bad input naming the field', () => {
    assert.equal(refusal(null).field, 'body');
    assert.equal(refusal([]).field, 'body');
    assert.equal(refusal({ visibility: 'public' }).field, 'visibility');
    assert.equal(refusal({}).field, 'visibility');
    assert.equal(refusal({ visibility: 'owner', extra: 1 }).field, 'extra');
    assert.equal(refusal({ visibility: 'groups', groups: [] }).field, 'groups');
    assert.equal(
      refusal({ visibility: 'groups', groups: 'a' }).field,
      'groups'
    );
    assert.equal(
      refusal({ visibility: 'groups', groups: [''] }).field,
      'groups'
    );
    assert.equal(
      refusal({ visibility: 'groups', groups: ['a\nb'] }).field,
      'groups'
    );
    assert.equal(
      refusal({ visibility: 'groups', groups: ['x'.repeat(256)] }).field,
      'groups'
    );
    assert.equal(
      refusal({
        visibility: 'groups',
        groups: Array.from({ length: 33 }, (_, i) => `g${i}`)
      }).field,
      'groups'
    );
    assert.equal(
      refusal({ visibility: 'everyone', groups: ['a'] }).field,
      'groups'
    );
  });
});

describe('registry re-label', () => {
  const config = JSON.stringify({
    architecture: 'amd64',
    config: {
      Cmd: ['jupyter'],
      Labels: { ...toLabels(base), 'repo2docker.version': '1' }
    },
    rootfs: { type: 'layers', diff_ids: ['sha256:aaa'] }
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1,
      digest: 'sha256:old'
    },
    layers: [{ mediaType: 'l', size: 42, digest: 'sha256:layer1' }]
  });

  it('changes only the labels given in the config, keeping the rest', () => {
    const labels = sharingLabels({ visibility: 'everyone', groups: [] });
    const changed = JSON.parse(configWithLabels(config, labels));
    const before = JSON.parse(config);
    assert.equal(changed.config.Labels[LABEL.sharing], 'everyone');
    assert.equal(changed.config.Labels[LABEL.owner], 'alice');
    assert.equal(changed.config.Labels['repo2docker.version'], '1');
    assert.deepEqual(changed.rootfs, before.rootfs);
    assert.deepEqual(changed.config.Cmd, ['jupyter']);
    assert.equal(
      fromLabels(labelsOfConfig(JSON.stringify(changed)))!.sharing.visibility,
      'everyone'
    );
  });

  it('points the manifest at the new config and at the very same layers', () => {
    const blob = Buffer.from('{"config":{}}');
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const next = manifestWithConfig(manifest, digest, blob.length);
    const parsed = parseManifest(null, next);
    assert.equal(parsed.kind, 'image');
    assert.equal(parsed.kind === 'image' && parsed.configDigest, digest);
    assert.deepEqual(JSON.parse(next).layers, JSON.parse(manifest).layers);
    assert.equal(JSON.parse(next).config.size, blob.length);
    assert.throws(() => manifestWithConfig('{"manifests":[]}', digest, 1));
  });
});
