/**
 * The launch link's pure parts: the query checked as a build request (400 naming the field), the
 * server name JupyterHub 6 accepts (a safe slug of at most 30), and the page, which embeds the
 * build's facts as JSON that cannot end its <script> early.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launchPageHtml } from '../../src/http/page/launch-html.js';
import {
  SERVER_NAME,
  serverNameFor
} from '../../src/http/page/launch-servers.js';
import { launchRequest } from '../../src/http/routes/launch.js';
import { refusedField } from '../helpers/refused.js';

describe('launch link query', () => {
  it('takes repo, ref and subdir as a build request does, empty ref/subdir meaning unset', () => {
    const valid = launchRequest(
      { repo: 'https://github.com/a/b', ref: '', subdir: '' },
      false
    );
    assert.equal(valid.repo, 'https://github.com/a/b');
    assert.equal(valid.ref, 'HEAD');
    assert.equal(valid.subdir, null);
    assert.equal(
      launchRequest(
        { repo: 'https://github.com/a/b', ref: 'v1', subdir: 'docs' },
        false
      ).subdir,
      'docs'
    );
  });

  it('refuses what POST /api/builds refuses, naming the field, and any other field', () => {
    assert.equal(
      refusedField(() => launchRequest({}, false)),
      'repo'
    );
    assert.equal(
      refusedField(() => launchRequest({ repo: '' }, false)),
      'repo'
    );
    assert.equal(
      refusedField(() => launchRequest({ repo: 'file:///tmp/x' }, false)),
      'repo'
    );
    assert.equal(
      refusedField(() => launchRequest({ repo: ['a', 'b'] }, false)),
      'repo'
    );
    assert.equal(
      refusedField(() =>
        launchRequest({ repo: 'https://h/x', ref: '-x' }, false)
      ),
      'ref'
    );
    assert.equal(
      refusedField(() =>
        launchRequest({ repo: 'https://h/x', subdir: '/etc' }, false)
      ),
      'subdir'
    );
    assert.equal(
      refusedField(() =>
        launchRequest({ repo: 'https://h/x', shared: 'true' }, false)
      ),
      'shared'
    );
  });
});

describe('server names for the launch link', () => {
  it('derives a safe slug from the image name, with a suffix when taken', () => {
    assert.equal(
      serverNameFor('r2d-alice/launchable:abc', new Set()),
      'launchable'
    );
    assert.equal(
      serverNameFor('registry:5000/r2d-alice/My_Analysis.v2:abc', new Set()),
      'my-analysis-v2'
    );
    assert.equal(serverNameFor('r2d-alice/123:abc', new Set()), 'env');
    const long = serverNameFor(`r2d-alice/${'x'.repeat(80)}:t`, new Set());
    assert.ok(long.length <= 25);
    const taken = serverNameFor(
      'r2d-alice/launchable:abc',
      new Set(['launchable']),
      () => 'beef'
    );
    assert.equal(taken, 'launchable-beef');
    for (const name of ['launchable', 'my-analysis-v2', 'env', long, taken]) {
      assert.match(name, SERVER_NAME);
      assert.ok(name.length <= 30 && !name.includes('--'), name);
    }
  });
});

describe('the launch page', () => {
  it('embeds the build as JSON that cannot close its script element, and escapes the rest', () => {
    const html = launchPageHtml('x"y', {
      build: 'b1',
      displayName: '</script><img src=x onerror=alert(1)>',
      image: 'r2d-alice/a:1',
      phase: 'built',
      alreadyBuilt: true,
      confirm: false
    });
    assert.ok(!html.includes('<img'));
    assert.equal(
      html.split('</script>').length,
      3,
      'only the two script elements close'
    );
    assert.ok(html.includes('content="x&quot;y"'));
    const json = /id="launch-data">([^<]*)</.exec(html)![1];
    assert.equal(
      JSON.parse(json).displayName,
      '</script><img src=x onerror=alert(1)>'
    );
  });
});
