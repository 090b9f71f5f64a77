import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import {
  BUILD_REQUEST_FIELDS,
  validateBuildRequest,
  type ValidationOptions
} from '../../src/builds/validate.js';

const REMOTE_ONLY: ValidationOptions = { allowLocalRepos: false };
const LOCAL_OK: ValidationOptions = { allowLocalRepos: true };
const REPO = 'https://github.com/org/repo';

/** Assert that validating `body` throws a 400 ApiError naming `field`. */
function assertRefused(
  body: unknown,
  field: string,
  options: ValidationOptions = REMOTE_ONLY
): void {
  let thrown: unknown;
  try {
    validateBuildRequest(body, options);
  } catch (error) {
    thrown = error;
  }
  const shown = JSON.stringify(body) ?? String(body);
  assert.ok(
    thrown instanceof ApiError,
    `expected an ApiError for ${shown}, got ${thrown === undefined ? 'success' : String(thrown)}`
  );
  assert.equal(thrown.status, 400, shown);
  assert.equal(thrown.code, 'invalid_field', shown);
  assert.equal(thrown.extra.field, field, `field for ${shown}`);
  assert.ok(thrown.message.length > 0);
  const body400 = thrown.toBody();
  assert.equal(body400.error.field, field);
}

describe('validateBuildRequest: good input', () => {
  it('fills in defaults for a minimal request', () => {
    assert.deepEqual(validateBuildRequest({ repo: REPO }, REMOTE_ONLY), {
      repo: REPO,
      ref: 'HEAD',
      name: null,
      displayName: null,
      push: null,
      subdir: null,
      force: false,
      shared: false,
      credentials: null,
      buildArgs: {}
    });
  });

  it('keeps every valid field', () => {
    const valid = validateBuildRequest(
      {
        repo: 'git://example.org/org/repo.git',
        ref: 'refs/tags/v1.0',
        name: 'my-image.v2_x',
        displayName: '  My image  ',
        push: true,
        subdir: 'binder/',
        force: true,
        shared: true
      },
      REMOTE_ONLY
    );
    assert.deepEqual(valid, {
      repo: 'git://example.org/org/repo.git',
      ref: 'refs/tags/v1.0',
      name: 'my-image.v2_x',
      displayName: 'My image',
      push: true,
      subdir: 'binder',
      force: true,
      shared: true,
      credentials: null,
      buildArgs: {}
    });
  });

  it('accepts https, http and git URLs and common refs', () => {
    for (const repo of [
      'https://github.com/org/repo',
      'http://example.org/repo.git',
      'git://example.org/repo',
      'https://example.org:8443/a/b.git'
    ]) {
      assert.equal(validateBuildRequest({ repo }, REMOTE_ONLY).repo, repo);
    }
    for (const ref of [
      'main',
      'HEAD',
      'v1.0.0',
      'feature/x-y',
      '0123456789abcdef0123456789abcdef01234567',
      'é'.repeat(127)
    ]) {
      assert.equal(
        validateBuildRequest({ repo: REPO, ref }, REMOTE_ONLY).ref,
        ref
      );
    }
  });

  it('accepts names of 1 and 63 characters', () => {
    for (const name of ['a', '0', 'a'.repeat(63), 'a1.b_c-d']) {
      assert.equal(
        validateBuildRequest({ repo: REPO, name }, REMOTE_ONLY).name,
        name
      );
    }
  });

  it('treats an empty or "." subdir as none', () => {
    assert.equal(
      validateBuildRequest({ repo: REPO, subdir: '' }, REMOTE_ONLY).subdir,
      null
    );
    assert.equal(
      validateBuildRequest({ repo: REPO, subdir: '.' }, REMOTE_ONLY).subdir,
      null
    );
    assert.equal(
      validateBuildRequest({ repo: REPO, subdir: 'a/b' }, REMOTE_ONLY).subdir,
      'a/b'
    );
  });

  it('accepts local paths and file:// URLs only when local repositories are allowed', () => {
    for (const repo of [
      '/srv/repos/project',
      'file:///srv/repos/project',
      'file:///tmp/with%20space'
    ]) {
      assert.equal(validateBuildRequest({ repo }, LOCAL_OK).repo, repo);
      assertRefused({ repo }, 'repo', REMOTE_ONLY);
    }
  });

  it('lists exactly the fields of the API', () => {
    assert.deepEqual([...BUILD_REQUEST_FIELDS].sort(), [
      'buildArgs',
      'credentials',
      'displayName',
      'force',
      'name',
      'push',
      'ref',
      'repo',
      'shared',
      'subdir'
    ]);
  });
});

describe('validateBuildRequest: bad input gives 400 naming the field', () => {
  it('refuses URLs that are not https, http or git', () => {
    for (const repo of [
      'ssh://git@github.com/org/repo.git',
      'ftp://example.org/repo',
      'ext::sh -c touch% /tmp/pwned',
      'ext::sh',
      'fd::17',
      'git@github.com:org/repo.git',
      'javascript:alert(1)',
      'data:text/plain,hi',
      'github.com/org/repo',
      'C:\\repos\\x',
      'https://',
      ''
    ]) {
      assertRefused({ repo }, 'repo');
    }
  });

  it('refuses file:// URLs and plain paths when local repositories are not allowed', () => {
    for (const repo of [
      'file:///srv/repo',
      'file://localhost/srv/repo',
      '/srv/repo',
      './repo',
      '../repo'
    ]) {
      assertRefused({ repo }, 'repo', REMOTE_ONLY);
    }
  });

  it('refuses relative paths and file URLs with a host even when local repositories are allowed', () => {
    for (const repo of [
      './repo',
      '../repo',
      '.',
      'file://otherhost/srv/repo'
    ]) {
      assertRefused({ repo }, 'repo', LOCAL_OK);
    }
  });

  // BUG (src/builds/validate.ts, validateRepo, local branch): `new URL(repo)` and
  // `decodeURIComponent(url.pathname)` are not guarded, so a malformed file: URL throws a
  // TypeError / URIError (a 500 from the route) instead of a 400 naming "repo".
  it('refuses malformed file: URLs with a 400 when local repositories are allowed', () => {
    assertRefused({ repo: 'file://[x]/srv/repo' }, 'repo', LOCAL_OK);
    assertRefused({ repo: 'file:///srv/%E0%A4%A' }, 'repo', LOCAL_OK);
  });

  it('refuses URLs with credentials', () => {
    for (const repo of [
      'https://user:pass@github.com/org/repo',
      'https://user@github.com/org/repo',
      'https://:secret@github.com/org/repo',
      'http://token@example.org/repo.git',
      'git://user:pw@example.org/repo'
    ]) {
      assertRefused({ repo }, 'repo');
    }
  });

  it('refuses a repo or ref beginning with "-"', () => {
    assertRefused({ repo: '--upload-pack=touch /tmp/x' }, 'repo');
    assertRefused({ repo: '-https://github.com/org/repo' }, 'repo', LOCAL_OK);
    assertRefused({ repo: REPO, ref: '--output=/tmp/x' }, 'ref');
    assertRefused({ repo: REPO, ref: '-b' }, 'ref');
    assertRefused({ repo: REPO, ref: '-' }, 'ref');
  });

  it('refuses refs with whitespace, "..", control characters or git-invalid syntax', () => {
    for (const ref of [
      'main branch',
      ' main',
      'main ',
      'main\tx',
      'main\n',
      'a\u00a0b', // no-break space
      'a..b',
      '..',
      'refs/heads/../x',
      'a\u0000b',
      'a\u0007b',
      'a\u001bb',
      'a\u007fb',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[b',
      'a\\b',
      'a@{1}',
      'branch/',
      'branch.',
      'branch.lock',
      ''
    ]) {
      assertRefused({ repo: REPO, ref }, 'ref');
    }
  });

  // BUG (src/builds/validate.ts, CONTROL): only C0 controls and DEL are refused. U+0085 (NEXT LINE,
  // a C1 control that Unicode also counts as whitespace, but JavaScript's \s does not) and U+009B
  // (CSI, which terminals read as an escape sequence) pass, though SPEC refuses refs with
  // whitespace or control characters.
  it('refuses refs with C1 control characters', () => {
    assertRefused({ repo: REPO, ref: 'main\u0085x' }, 'ref');
    assertRefused({ repo: REPO, ref: 'main\u009b31m' }, 'ref');
  });

  it('refuses refs over 255 bytes, counting multi-byte characters in bytes', () => {
    assert.equal(
      validateBuildRequest({ repo: REPO, ref: 'a'.repeat(255) }, REMOTE_ONLY)
        .ref,
      'a'.repeat(255)
    );
    assertRefused({ repo: REPO, ref: 'a'.repeat(256) }, 'ref');
    // 128 characters, 256 bytes.
    assertRefused({ repo: REPO, ref: 'é'.repeat(128) }, 'ref');
    // 64 characters, 256 bytes.
    assertRefused({ repo: REPO, ref: '😀'.repeat(64) }, 'ref');
    // 86 characters, 258 bytes.
    assertRefused({ repo: REPO, ref: '日'.repeat(86) }, 'ref');
  });

  it('refuses names outside [a-z0-9][a-z0-9._-]{0,62}', () => {
    for (const name of [
      '',
      'My-image',
      'IMAGE',
      'my image',
      ' image',
      'a'.repeat(64),
      '-image',
      '.image',
      '_image',
      'image/x',
      'image:tag',
      'imagé',
      'image\n'
    ]) {
      assertRefused({ repo: REPO, name }, 'name');
    }
  });

  it('refuses subdirs with ".." or absolute paths', () => {
    for (const subdir of [
      '..',
      '../x',
      'a/../../x',
      'a/..',
      'a\\..\\b',
      '/etc',
      '/etc/',
      '//x',
      '\\windows',
      '-x',
      'a\u0000b'
    ]) {
      assertRefused({ repo: REPO, subdir }, 'subdir');
    }
  });

  it('refuses unknown fields, naming the unknown key', () => {
    assertRefused({ repo: REPO, tag: 'x' }, 'tag');
    assertRefused({ repo: REPO, Repo: 'x' }, 'Repo');
    assertRefused({ repo: REPO, owner: 'bob' }, 'owner');
    assertRefused({ repo: REPO, image: 'r2d-bob/x' }, 'image');
    assertRefused({ tag: 'x' }, 'tag'); // before the missing repo
    assertRefused(
      JSON.parse(
        '{"repo": "https://github.com/org/repo", "__proto__": {"force": true}}'
      ),
      '__proto__'
    );
    assertRefused(
      JSON.parse('{"repo": "https://github.com/org/repo", "constructor": 1}'),
      'constructor'
    );
  });

  it('refuses wrong types', () => {
    assertRefused({ repo: REPO, push: 'true' }, 'push');
    assertRefused({ repo: REPO, push: 1 }, 'push');
    assertRefused({ repo: REPO, force: 'yes' }, 'force');
    assertRefused({ repo: REPO, shared: null }, 'shared');
    assertRefused({ repo: 42 }, 'repo');
    assertRefused({ repo: [REPO] }, 'repo');
    assertRefused({ repo: REPO, ref: 1 }, 'ref');
    assertRefused({ repo: REPO, name: null }, 'name');
    assertRefused({ repo: REPO, displayName: {} }, 'displayName');
    assertRefused({ repo: REPO, subdir: ['a'] }, 'subdir');
  });

  it('refuses a missing repo', () => {
    assertRefused({}, 'repo');
    assertRefused({ ref: 'main' }, 'repo');
  });

  it('refuses a body that is not an object', () => {
    for (const body of [
      [],
      [{ repo: REPO }],
      null,
      undefined,
      'https://github.com/org/repo',
      42,
      true
    ]) {
      assertRefused(body, 'body');
    }
  });

  it('refuses display names with control characters or over 256 characters', () => {
    assertRefused({ repo: REPO, displayName: 'a\u0000b' }, 'displayName');
    assertRefused({ repo: REPO, displayName: 'x'.repeat(257) }, 'displayName');
    assert.equal(
      validateBuildRequest(
        { repo: REPO, displayName: 'x'.repeat(256) },
        REMOTE_ONLY
      ).displayName,
      'x'.repeat(256)
    );
    assert.equal(
      validateBuildRequest({ repo: REPO, displayName: '   ' }, REMOTE_ONLY)
        .displayName,
      null
    );
  });

  it('refuses repo URLs with whitespace or control characters and over-long URLs', () => {
    assertRefused({ repo: 'https://github.com/org/re po' }, 'repo');
    assertRefused({ repo: 'https://github.com/org/repo\n' }, 'repo');
    assertRefused({ repo: 'https://github.com/org/\u0000repo' }, 'repo');
    assertRefused({ repo: `https://github.com/${'a'.repeat(2048)}` }, 'repo');
  });
});

describe('validateRepo: only scheme://host[:port]/path, handed on in canonical form', () => {
  it('refuses scp-like and authority-less forms that git would read as ssh or a local path, naming repo', () => {
    for (const repo of [
      'git@github.com:org/repo.git',
      'github.com:org/repo',
      '127.0.0.1:repo',
      'http:evil.example/x', // WHATWG gives http://evil.example/x; git reads host "http", path "evil.example/x" over ssh
      'https:/x/y',
      'https:///x',
      'https:x/y',
      'git:example.org/repo',
      'HTTPS:evil.example/x'
    ]) {
      assertRefused({ repo }, 'repo');
    }
  });

  it('tells how to fix it, mentioning file:// only where local repositories are allowed', () => {
    for (const [options, mentionsFile] of [
      [REMOTE_ONLY, false],
      [LOCAL_OK, true]
    ] as const) {
      try {
        validateBuildRequest({ repo: 'git@github.com:org/repo.git' }, options);
        assert.fail('accepted');
      } catch (error) {
        assert.ok(error instanceof ApiError);
        assert.match(error.message, /https:\/\/github\.com\/owner\/repo/);
        assert.equal(
          /file:\/\//.test(error.message),
          mentionsFile,
          error.message
        );
      }
    }
  });

  it('refuses forms that URL parsing rewrites (git would read them differently)', () => {
    for (const repo of [
      'https://github.com\\org/repo', // backslash becomes "/" for WHATWG, not for git
      'https://github.com/org/../evil/repo',
      'https://github.com/org/./repo',
      'http://0x7f.1/repo', // WHATWG makes it 127.0.0.1
      'http://2130706433/repo',
      'http://127.1/repo',
      'git://127.1/repo', // not special to WHATWG: kept as a name, which resolvers read as 127.0.0.1
      'https://github.com:/org/repo',
      'https://bücher.example/repo',
      'https://github.com/org/repo#main',
      'https://github.com/org/re"po',
      'https://github.com/org/$HOME',
      'https://github.com/org/`id`',
      'https://github.com/',
      'https://github.com'
    ]) {
      assertRefused({ repo }, 'repo');
    }
  });

  it('hands on the canonical form: scheme and host in lowercase, default ports dropped', () => {
    const canonical = (repo: string): string =>
      validateBuildRequest({ repo }, REMOTE_ONLY).repo;
    assert.equal(
      canonical('HTTPS://GitHub.com/org/Repo'),
      'https://github.com/org/Repo'
    );
    assert.equal(
      canonical('https://github.com:443/org/repo'),
      'https://github.com/org/repo'
    );
    assert.equal(
      canonical('http://example.org:80/repo.git'),
      'http://example.org/repo.git'
    );
    assert.equal(
      canonical('git://Example.org:9418/repo'),
      'git://example.org/repo'
    );
    assert.equal(
      canonical('git://example.org:9419/repo'),
      'git://example.org:9419/repo'
    );
    assert.equal(
      canonical('http://127.0.0.1:8080/x/y.git'),
      'http://127.0.0.1:8080/x/y.git'
    );
    assert.equal(canonical('https://[::1]:8443/x'), 'https://[::1]:8443/x');
    assert.equal(
      canonical('https://example.org/a%20b?x=1'),
      'https://example.org/a%20b?x=1'
    );
  });

  it('takes file:// only as exactly file:///absolute/path, and only when allowed', () => {
    assert.equal(
      validateBuildRequest({ repo: 'file:///srv/repo' }, LOCAL_OK).repo,
      'file:///srv/repo'
    );
    for (const repo of [
      'file:/srv/repo',
      'file:srv/repo',
      'file:///srv/../etc',
      'file:///srv/repo?x',
      'FILE:///srv/repo',
      '/srv/../etc',
      '/srv//repo'
    ]) {
      assertRefused({ repo }, 'repo', LOCAL_OK);
    }
    assertRefused({ repo: 'file:///srv/repo' }, 'repo', REMOTE_ONLY);
  });
});

describe('subdir and displayName: nothing that means something in a Dockerfile LABEL', () => {
  const smuggled = [
    'a" org.jupyter.repo2docker-service.owner="bob',
    'a\\b',
    'a$b',
    '${HOME}',
    'a`id`',
    'a\nLABEL x=y',
    'a\rb',
    'a\u2028b',
    'a\u0085b'
  ];

  it('refuses subdirs with ", \\, $, backtick, newline or control characters, naming subdir', () => {
    for (const subdir of smuggled) {
      assertRefused({ repo: REPO, subdir }, 'subdir');
    }
  });

  it('refuses display names with the same characters, naming displayName', () => {
    for (const displayName of smuggled) {
      assertRefused({ repo: REPO, displayName }, 'displayName');
    }
  });

  it('still accepts ordinary subdirs and display names, spaces and unicode included', () => {
    const valid = validateBuildRequest(
      {
        repo: REPO,
        subdir: 'envs/py 3.12',
        displayName: "Alice's env (ünï) #1"
      },
      REMOTE_ONLY
    );
    assert.equal(valid.subdir, 'envs/py 3.12');
    assert.equal(valid.displayName, "Alice's env (ünï) #1");
  });
});
