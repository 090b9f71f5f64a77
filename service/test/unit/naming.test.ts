import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkConfig,
  DEFAULT_CONFIG,
  type ServiceConfig
} from '../../src/config.js';
import {
  checkTemplate,
  escapeOwner,
  isValidNameComponent,
  isValidRepository,
  isValidTag,
  nameFromRepo,
  namespaceFor,
  renderRepository,
  SHARED_NAMESPACE,
  splitImageReference,
  unescapeOwner
} from '../../src/images/naming.js';

const DEFAULT_TEMPLATE = 'r2d-{owner}/{name}';

/** Usernames a hub may hand us: plain, capitals, punctuation, e-mail style, unicode, emoji, digits. */
const USERNAMES = [
  'alice',
  'bob42',
  'a',
  '0',
  '42',
  '1234567890',
  '007',
  'Alice',
  'ALICE',
  'aLiCe',
  'A',
  'alice_smith',
  '_alice',
  'alice_',
  'alice.smith',
  '.alice',
  'alice.',
  'alice-smith',
  '-alice',
  'alice-',
  '--',
  '-',
  '_',
  '.',
  'alice@example.org',
  'Alice.Smith@Example.ORG',
  'user+tag@x.io',
  'josé',
  'José',
  'jose\u0301', // decomposed é: different bytes, must stay different
  'müller',
  'Müller',
  'ñandú',
  '日本語',
  'Ελληνικά',
  'кириллица',
  'عربي',
  '😀',
  'alice😀',
  '👩‍💻',
  'a b',
  'tab\there',
  'slash/name',
  'colon:name',
  'pct%41',
  '-41',
  '-shared',
  'shared',
  '2d',
  '-2d',
  'x-2dy',
  '~',
  "o'neil",
  'ünïcödé_and.Dots-42@host'
];

describe('escapeOwner / unescapeOwner', () => {
  it('keeps plain lowercase alphanumerics as they are', () => {
    for (const name of ['alice', 'bob42', '0', '1234567890', 'a']) {
      assert.equal(escapeOwner(name), name);
    }
  });

  it('escapes every other UTF-8 byte as "-" and two lowercase hex digits', () => {
    assert.equal(escapeOwner('A'), '-41');
    assert.equal(escapeOwner('Alice'), '-41lice');
    assert.equal(escapeOwner('a_b'), 'a-5fb');
    assert.equal(escapeOwner('a.b'), 'a-2eb');
    assert.equal(escapeOwner('a-b'), 'a-2db');
    assert.equal(escapeOwner('a@b'), 'a-40b');
    assert.equal(escapeOwner('é'), '-c3-a9');
    assert.equal(escapeOwner('😀'), '-f0-9f-98-80');
  });

  it('round-trips every username in the sample', () => {
    for (const name of USERNAMES) {
      const escaped = escapeOwner(name);
      assert.equal(
        unescapeOwner(escaped),
        name,
        `round trip of ${JSON.stringify(name)} via ${escaped}`
      );
    }
  });

  it('round-trips every single BMP code point class boundary and every ASCII character', () => {
    for (let code = 1; code < 128; code++) {
      const name = `u${String.fromCharCode(code)}v`;
      assert.equal(unescapeOwner(escapeOwner(name)), name, `code ${code}`);
    }
    for (const code of [0x80, 0x7ff, 0x800, 0xfffd, 0x10000, 0x10ffff]) {
      const name = String.fromCodePoint(code);
      assert.equal(
        unescapeOwner(escapeOwner(name)),
        name,
        `code point ${code.toString(16)}`
      );
    }
  });

  it('produces distinct names for usernames that differ only in case', () => {
    const groups = [
      ['alice', 'Alice', 'ALICE', 'aLiCe', 'alicE'],
      ['josé', 'José', 'JOSÉ'],
      ['müller', 'Müller', 'MÜLLER']
    ];
    for (const group of groups) {
      const escaped = group.map(escapeOwner);
      assert.equal(
        new Set(escaped).size,
        group.length,
        `collision in ${group.join(', ')}: ${escaped.join(', ')}`
      );
    }
  });

  it('produces distinct names for usernames that differ only in characters Docker forbids', () => {
    const variants = [
      'a_b',
      'a.b',
      'a-b',
      'a@b',
      'a b',
      'a+b',
      'a~b',
      'a/b',
      'a:b',
      'a__b',
      'a..b',
      'a--b',
      'ab',
      'a-2db',
      'a-5fb'
    ];
    const escaped = variants.map(escapeOwner);
    assert.equal(new Set(escaped).size, variants.length, escaped.join(', '));
  });

  it('has no collisions over the whole sample', () => {
    const unique = [...new Set(USERNAMES)];
    const escaped = unique.map(escapeOwner);
    assert.equal(new Set(escaped).size, unique.length);
  });

  it('refuses an empty username', () => {
    assert.throws(() => escapeOwner(''));
  });

  it('decodes "-41" to "A"', () => {
    assert.equal(unescapeOwner('-41'), 'A');
    assert.equal(unescapeOwner('-41lice'), 'Alice');
  });

  it('rejects strings that escapeOwner cannot produce', () => {
    const impossible = [
      '-61', // 'a' is kept as is, never escaped
      '-30', // '0' likewise
      '-7a', // 'z'
      'x-61y',
      '-shared',
      SHARED_NAMESPACE,
      '-',
      'a-',
      'a-4',
      '-4g',
      '-4A', // escapes use lowercase hex
      '-C3-A9',
      'Alice', // capitals are never kept
      'a_b',
      'a.b',
      'a b',
      'é',
      '-ff', // a lone byte that is not UTF-8
      '-c3', // a truncated UTF-8 sequence
      '-e2-82' // likewise
    ];
    for (const text of impossible) {
      assert.equal(unescapeOwner(text), null, JSON.stringify(text));
    }
  });

  // BUG (src/builds/naming.ts, unescapeOwner): '' decodes to '' and then calls escapeOwner(''),
  // which throws 'empty username' instead of returning null as documented.
  it('rejects the empty string with null rather than throwing', () => {
    assert.equal(unescapeOwner(''), null);
  });

  it('never gives SHARED_NAMESPACE for any username', () => {
    assert.equal(SHARED_NAMESPACE, '-shared');
    for (const name of [
      ...USERNAMES,
      '-shared',
      'shared',
      '-SHARED',
      ' shared',
      '\u00adshared'
    ]) {
      assert.notEqual(
        escapeOwner(name),
        SHARED_NAMESPACE,
        JSON.stringify(name)
      );
    }
    // Any escaped name's "-" is followed by two hex digits, and "s" is not one.
    for (const name of USERNAMES) {
      assert.match(escapeOwner(name), /^(?:[a-z0-9]|-[0-9a-f]{2})+$/);
    }
  });

  it('namespaceFor uses the shared namespace only for shared builds', () => {
    assert.equal(namespaceFor('Alice', false), '-41lice');
    assert.equal(namespaceFor('Alice', true), SHARED_NAMESPACE);
    assert.equal(namespaceFor('shared', false), 'shared');
  });

  it('gives a hub service a namespace no user name can produce, and never the shared one', () => {
    assert.equal(namespaceFor('service/alice', false), '-service-alice');
    assert.notEqual(
      namespaceFor('service/alice', false),
      namespaceFor('alice', false)
    );
    assert.notEqual(namespaceFor('service/hared', false), SHARED_NAMESPACE);
    assert.equal(
      namespaceFor('service/alice', true),
      SHARED_NAMESPACE,
      'shared stays shared'
    );
    const users = new Set(USERNAMES.map(name => namespaceFor(name, false)));
    for (const name of USERNAMES) {
      const service = namespaceFor(`service/${name}`, false);
      assert.ok(
        !users.has(service),
        `service ${JSON.stringify(name)} → ${service} is some user's namespace`
      );
      assert.equal(
        unescapeOwner(service),
        null,
        'unescapeOwner reads no user name out of it'
      );
      assert.ok(
        isValidRepository(renderRepository(DEFAULT_TEMPLATE, service, 'image')),
        service
      );
    }
  });

  it('gives valid image repositories through the default template for every sample username', () => {
    for (const name of USERNAMES) {
      const repository = renderRepository(
        DEFAULT_TEMPLATE,
        escapeOwner(name),
        'my-image'
      );
      assert.ok(
        isValidRepository(repository),
        `${JSON.stringify(name)} → ${repository}`
      );
    }
    assert.ok(
      isValidRepository(
        renderRepository(DEFAULT_TEMPLATE, SHARED_NAMESPACE, 'my-image')
      )
    );
  });

  it('gives valid repositories through the default template for generated usernames', () => {
    // Deterministic pseudo-random names over a mixed alphabet, up to 8 characters.
    const alphabet = [...'abcXYZ09_.-@+ é日😀'];
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const seen = new Map<string, string>();
    for (let n = 0; n < 2000; n++) {
      const length = 1 + (next() % 8);
      let name = '';
      for (let i = 0; i < length; i++) {
        name += alphabet[next() % alphabet.length];
      }
      const escaped = escapeOwner(name);
      const previous = seen.get(escaped);
      assert.ok(
        previous === undefined || previous === name,
        `collision: ${previous} and ${name} → ${escaped}`
      );
      seen.set(escaped, name);
      assert.equal(unescapeOwner(escaped), name);
      assert.ok(
        isValidRepository(renderRepository(DEFAULT_TEMPLATE, escaped, 'image')),
        escaped
      );
    }
  });
});

describe('checkTemplate', () => {
  it('accepts the default template and other prefixed ones', () => {
    assert.doesNotThrow(() => checkTemplate(DEFAULT_TEMPLATE));
    assert.doesNotThrow(() => checkTemplate('jupyter/r2d-{owner}/{name}'));
    assert.doesNotThrow(() => checkTemplate('jupyter/r2d-{owner}/img-{name}'));
    assert.doesNotThrow(() =>
      checkTemplate('registry.example.org:5000/r2d-{owner}/{name}')
    );
  });

  it('refuses templates where {owner} shares its path component with {name}: two owners would collide', () => {
    // The collision the check prevents: owner "a" with name "2db-c", and owner "a-b" (namespace
    // "a-2db") with name "c".
    const collides = 'r2d-{owner}-{name}';
    assert.equal(
      renderRepository(collides, namespaceFor('a', false), '2db-c'),
      renderRepository(collides, namespaceFor('a-b', false), 'c')
    );
    for (const template of [
      collides,
      'jupyter/r2d-{owner}-{name}',
      'r2d-{name}-{owner}',
      'x/{name}.r2d-{owner}'
    ]) {
      assert.throws(
        () => checkTemplate(template),
        /component of its own/,
        template
      );
    }
  });

  it('accepted templates never give two owners the same repository (generated owners and names)', () => {
    const owners = [
      ...USERNAMES,
      'a',
      'a-b',
      'a-2d',
      'service/a',
      'service/a-b'
    ].map(owner => namespaceFor(owner, false));
    owners.push(SHARED_NAMESPACE);
    const names = ['c', 'b-c', '2d-c', 'b', 'shared', 'x.y', 'x_y', 'x--y'];
    for (const template of [
      DEFAULT_TEMPLATE,
      'jupyter/r2d-{owner}/img-{name}',
      'r2d-{owner}-x/{name}'
    ]) {
      checkTemplate(template);
      const seen = new Map<string, string>();
      for (const owner of new Set(owners)) {
        for (const name of names) {
          const repository = renderRepository(template, owner, name);
          const previous = seen.get(repository);
          assert.ok(
            previous === undefined,
            `${template}: ${previous} and ${owner}/${name} both give ${repository}`
          );
          seen.set(repository, `${owner}/${name}`);
        }
      }
    }
  });

  it('rejects a template whose {owner} begins a path component', () => {
    // "-41lice" and "-shared" cannot begin a component.
    assert.throws(() => checkTemplate('{owner}/{name}'), /images\.template/);
    assert.throws(
      () => checkTemplate('images/{owner}/{name}'),
      /invalid image name/
    );
  });

  it('rejects templates that render invalid references', () => {
    assert.throws(() => checkTemplate('R2D-{owner}/{name}'));
    assert.throws(() => checkTemplate('r2d-{owner}//{name}'));
    assert.throws(() => checkTemplate('r2d-{owner}/{name}/'));
  });

  it('a template missing a placeholder is refused by checkConfig', () => {
    const withTemplate = (template: string): ServiceConfig => ({
      ...DEFAULT_CONFIG,
      images: { template }
    });
    assert.throws(() => checkConfig(withTemplate('r2d-{owner}')), /\{name\}/);
    assert.throws(() => checkConfig(withTemplate('r2d/{name}')), /\{owner\}/);
    assert.throws(
      () => checkConfig(withTemplate('fixed/name')),
      /images\.template/
    );
    assert.doesNotThrow(() => checkConfig(withTemplate(DEFAULT_TEMPLATE)));
  });
});

describe('isValidRepository / isValidTag', () => {
  it('accepts valid repositories', () => {
    const good = [
      'alpine',
      'library/alpine',
      'r2d-alice/my-image',
      'r2d--41lice/my-image',
      'a/b/c/d',
      'a.b',
      'a_b',
      'a__b',
      'a-b',
      'a---b',
      'localhost/foo',
      'localhost:5000/foo',
      'registry.example.org/jupyter/r2d-alice/image',
      'registry.example.org:5000/foo/bar',
      'Registry.Example.ORG/foo', // the host part may have capitals
      '127.0.0.1:5000/foo',
      'a'.repeat(255)
    ];
    for (const repository of good) {
      assert.ok(isValidRepository(repository), repository);
    }
  });

  it('rejects invalid repositories', () => {
    const bad = [
      '',
      'Alpine',
      'library/Alpine',
      'foo/Bar',
      'a..b',
      'a___b',
      'a._b',
      'a//b',
      '/a',
      'a/',
      'a-',
      '-a',
      '.a',
      'a.',
      '_a',
      'a_',
      'a b',
      'a:b',
      'example.com:5000', // a host alone is not a repository
      'example.com:port/foo',
      'example.com:5000:6000/foo',
      'localhost:/foo',
      'exa mple.com/foo',
      'a'.repeat(256),
      `registry.example.org/${'a'.repeat(240)}`, // 261 characters in all
      'a@b/c'
    ];
    for (const repository of bad) {
      assert.ok(!isValidRepository(repository), repository);
    }
  });

  // BUG (src/builds/naming.ts, isValidRepository): the registry host is checked with
  // /^[A-Za-z0-9.-]+(?::[0-9]+)?$/, which accepts empty or hyphen-edged domain labels that
  // Docker's reference grammar (distribution/reference: domain components
  // [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9], joined by ".") refuses.
  it('rejects registry hosts with empty or hyphen-edged labels', () => {
    for (const repository of [
      'exa..mple.com/foo',
      '.example.com/foo',
      'example.com./foo',
      '-bad.example.com/foo',
      'bad-.example.com/foo'
    ]) {
      assert.ok(!isValidRepository(repository), repository);
    }
  });

  it('isValidNameComponent takes one component only', () => {
    assert.ok(isValidNameComponent('my-image'));
    assert.ok(!isValidNameComponent('a/b'));
    assert.ok(!isValidNameComponent('My-image'));
  });

  it('accepts valid tags', () => {
    for (const tag of [
      'latest',
      'v1.0',
      '0123456789abcdef0123456789abcdef01234567',
      'A_b-c.d',
      '_x',
      'x'.repeat(128)
    ]) {
      assert.ok(isValidTag(tag), tag);
    }
  });

  it('rejects invalid tags', () => {
    for (const tag of [
      '',
      '.x',
      '-x',
      'x y',
      'x/y',
      'x:y',
      'x@y',
      'é',
      'x'.repeat(129)
    ]) {
      assert.ok(!isValidTag(tag), tag);
    }
  });
});

describe('nameFromRepo', () => {
  it('derives a name from the last path segment', () => {
    const cases: [string, string][] = [
      ['https://github.com/org/My_Repo.git', 'my-repo'],
      ['https://github.com/org/repo', 'repo'],
      ['https://github.com/org/repo/', 'repo'],
      ['https://github.com/org/repo///', 'repo'],
      ['https://github.com/org/repo.git/', 'repo'],
      ['https://github.com/org/repo?tab=readme', 'repo'],
      ['https://github.com/org/repo.git?x=1#frag', 'repo'],
      ['https://github.com/org/repo#readme', 'repo'],
      [
        'https://gitlab.example.org/group/sub/Data.Science--Notebooks',
        'data-science-notebooks'
      ],
      ['git://example.org/__weird__name__.git', 'weird-name'],
      ['/srv/repos/Local Repo', 'local-repo'],
      ['https://example.org/org/.git', 'image'],
      ['https://example.org/org/___', 'image'],
      ['https://example.org/org/日本語', 'image'],
      ['', 'image']
    ];
    for (const [repo, name] of cases) {
      assert.equal(nameFromRepo(repo), name, repo);
    }
  });

  it('always gives a valid name of at most 63 characters', () => {
    const repos = [
      `https://github.com/org/${'A'.repeat(100)}`,
      `https://github.com/org/${'a-'.repeat(40)}b`,
      `https://github.com/org/${'a'.repeat(62)}-b`,
      `https://github.com/org/${'a'.repeat(62)}--${'b'.repeat(5)}`,
      'https://github.com/org/-leading',
      'https://github.com/org/trailing-'
    ];
    for (const repo of repos) {
      const name = nameFromRepo(repo);
      assert.ok(name.length <= 63 && name.length > 0, name);
      assert.match(name, /^[a-z0-9][a-z0-9._-]{0,62}$/);
      assert.ok(isValidNameComponent(name), name);
    }
    assert.equal(
      nameFromRepo(`https://github.com/org/${'a'.repeat(62)}-b`),
      'a'.repeat(62)
    );
  });
});

describe('splitImageReference', () => {
  it('splits at the tag, never at a registry port, and reads no tag as latest', () => {
    assert.deepEqual(splitImageReference('r2d-alice/ok:abc'), {
      repository: 'r2d-alice/ok',
      tag: 'abc'
    });
    assert.deepEqual(
      splitImageReference('127.0.0.1:5000/r2d-alice/ok:build-1'),
      { repository: '127.0.0.1:5000/r2d-alice/ok', tag: 'build-1' }
    );
    assert.deepEqual(splitImageReference('127.0.0.1:5000/r2d-alice/ok'), {
      repository: '127.0.0.1:5000/r2d-alice/ok',
      tag: 'latest'
    });
    assert.deepEqual(splitImageReference('busybox'), {
      repository: 'busybox',
      tag: 'latest'
    });
  });
});
