/**
 * Every case of SPEC's "Bad input" list, sent over HTTP to the real service: 400 (or 413/401)
 * with a JSON body naming the field, and nothing started.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeFixtures, type Fixtures } from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';

describe('bad input is refused', () => {
  let service: ServiceProcess;
  let strict: ServiceProcess;
  let fixtures: Fixtures;
  before(async () => {
    fixtures = makeFixtures(10);
    service = await new ServiceProcess().start();
    // Local repositories are refused by default.
    strict = await new ServiceProcess({
      config: { builds: { allowLocalRepos: false } }
    }).start();
  });
  after(async () => {
    await service?.stop();
    await strict?.stop();
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['ssh URL', { repo: 'ssh://example.org/repo.git' }, 'repo'],
    ['scp-like URL', { repo: 'git@example.org:org/repo.git' }, 'repo'],
    ['ftp URL', { repo: 'ftp://example.org/repo' }, 'repo'],
    ['ext:: transport', { repo: 'ext::sh -c touch% /tmp/pwned' }, 'repo'],
    [
      'scp-like URL with a scheme-looking host',
      { repo: 'http:evil.example/x' },
      'repo'
    ],
    ['URL without authority', { repo: 'https:/x/y' }, 'repo'],
    ['URL with an empty authority', { repo: 'https:///x' }, 'repo'],
    ['URL with a backslash', { repo: 'https://example.org\\org/repo' }, 'repo'],
    ['URL with dot segments', { repo: 'https://example.org/a/../b' }, 'repo'],
    ['URL with a hex IPv4 host', { repo: 'http://0x7f.1/repo' }, 'repo'],
    ['URL with a fragment', { repo: 'https://example.org/r.git#main' }, 'repo'],
    [
      'credentials in URL',
      { repo: 'https://user:secret@example.org/repo.git' },
      'repo'
    ],
    ['user in URL', { repo: 'https://user@example.org/repo.git' }, 'repo'],
    [
      'URL beginning with -',
      { repo: '--upload-pack=touch /tmp/pwned' },
      'repo'
    ],
    [
      'ref beginning with -',
      { repo: 'https://example.org/r.git', ref: '--output=/tmp/x' },
      'ref'
    ],
    [
      'ref with whitespace',
      { repo: 'https://example.org/r.git', ref: 'main branch' },
      'ref'
    ],
    ['ref with ..', { repo: 'https://example.org/r.git', ref: 'a..b' }, 'ref'],
    [
      'ref with control character',
      { repo: 'https://example.org/r.git', ref: 'main\u0007' },
      'ref'
    ],
    [
      'ref over 255 bytes',
      { repo: 'https://example.org/r.git', ref: 'é'.repeat(128) },
      'ref'
    ],
    [
      'name with capitals',
      { repo: 'https://example.org/r.git', name: 'MyImage' },
      'name'
    ],
    [
      'name with spaces',
      { repo: 'https://example.org/r.git', name: 'my image' },
      'name'
    ],
    [
      'name too long',
      { repo: 'https://example.org/r.git', name: 'a'.repeat(64) },
      'name'
    ],
    [
      'name beginning with .',
      { repo: 'https://example.org/r.git', name: '.hidden' },
      'name'
    ],
    [
      'subdir with ..',
      { repo: 'https://example.org/r.git', subdir: 'a/../../etc' },
      'subdir'
    ],
    [
      'absolute subdir',
      { repo: 'https://example.org/r.git', subdir: '/etc' },
      'subdir'
    ],
    [
      'subdir smuggling a label',
      {
        repo: 'https://example.org/r.git',
        subdir: 'a" org.jupyter.repo2docker-service.owner="bob'
      },
      'subdir'
    ],
    [
      'subdir with a backslash',
      { repo: 'https://example.org/r.git', subdir: 'a\\b' },
      'subdir'
    ],
    [
      'subdir with $',
      { repo: 'https://example.org/r.git', subdir: '$HOME' },
      'subdir'
    ],
    [
      'subdir with a backtick',
      { repo: 'https://example.org/r.git', subdir: 'a`id`' },
      'subdir'
    ],
    [
      'subdir with a newline',
      { repo: 'https://example.org/r.git', subdir: 'a\nb' },
      'subdir'
    ],
    [
      'displayName smuggling a label',
      {
        repo: 'https://example.org/r.git',
        displayName: 'x" org.jupyter.repo2docker-service.shared="true'
      },
      'displayName'
    ],
    [
      'displayName with a newline',
      { repo: 'https://example.org/r.git', displayName: 'a\nLABEL x=y' },
      'displayName'
    ],
    [
      'displayName with $',
      { repo: 'https://example.org/r.git', displayName: '${NB_USER}' },
      'displayName'
    ],
    [
      'unknown field',
      { repo: 'https://example.org/r.git', command: 'rm -rf /' },
      'command'
    ],
    [
      'push not boolean',
      { repo: 'https://example.org/r.git', push: 'yes' },
      'push'
    ],
    ['repo missing', { ref: 'main' }, 'repo'],
    ['repo not a string', { repo: 42 }, 'repo']
  ];

  for (const [title, body, field] of cases) {
    it(`${title} → 400 naming ${field}`, async () => {
      const response = await service.api('POST', '/api/builds', body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.field, field);
      assert.equal(typeof response.body.error.message, 'string');
    });
  }

  it('local paths are refused unless the admin allows them', async () => {
    for (const repo of [fixtures.ok, fixtures.ok.replace('file://', '')]) {
      const response = await strict.api('POST', '/api/builds', { repo });
      assert.equal(response.status, 400);
      assert.equal(response.body.error.field, 'repo');
    }
  });

  it('a ref that does not exist → 400 naming ref', async () => {
    const response = await service.api('POST', '/api/builds', {
      repo: fixtures.ok,
      ref: 'no-such-branch'
    });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.field, 'ref');
  });

  it('malformed JSON, a non-object body and a body over 64 KiB are refused', async () => {
    const malformed = await service.api('POST', '/api/builds', '{"repo": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.field, 'body');
    const array = await service.api('POST', '/api/builds', '[]');
    assert.equal(array.status, 400);
    assert.equal(array.body.error.field, 'body');
    const huge = await service.api('POST', '/api/builds', {
      repo: 'https://example.org/r.git',
      displayName: 'x'.repeat(70_000)
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'too_large');
  });

  it('no token and a wrong token → 401; errors never echo the secret', async () => {
    const none = await service.api('GET', '/api/builds', undefined, {});
    assert.equal(none.status, 401);
    const wrong = await service.api('GET', '/api/builds', undefined, {
      authorization: 'token nope'
    });
    assert.equal(wrong.status, 401);
    assert.ok(!JSON.stringify(wrong.body).includes('nope'));
  });

  it('started nothing: no build was registered by any refused request', async () => {
    const list = await service.api('GET', '/api/builds');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.builds, []);
    const metrics = await service.api('GET', '/metrics');
    assert.doesNotMatch(
      metrics.body,
      /repo2docker_builds_total\{outcome="(built|failed)"\} [1-9]/
    );
    assert.ok(
      !service.output.includes(service.secret),
      'the secret is not in the service log'
    );
  });
});
