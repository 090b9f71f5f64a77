import { nullTranslator } from '@jupyterlab/translation';
import {
  buildArgsOf,
  checkBuildArgs,
  checkCredentials,
  credentialsOf,
  utf8Length,
  type IBuildArgRow
} from '../buildArgs';

const trans = nullTranslator.load('jupyterlab_repo2docker');

function rows(...pairs: [string, string][]): IBuildArgRow[] {
  return pairs.map(([name, value], index) => ({ key: index + 1, name, value }));
}

describe('checkBuildArgs (the service rules, before sending)', () => {
  it('takes good names and values, and ignores rows left empty', () => {
    const given = rows(['PYTHON_VERSION', '3.12'], ['_x1', ''], ['', '']);
    expect(checkBuildArgs(given, trans)).toBeNull();
    expect(buildArgsOf(given)).toEqual({ PYTHON_VERSION: '3.12', _x1: '' });
    expect(buildArgsOf(rows(['', '']))).toBeNull();
  });

  it.each([
    ['1ABC', 'Build argument name "1ABC"'],
    ['A-B', 'Build argument name "A-B"'],
    ['WITH SPACE', 'Build argument name "WITH SPACE"'],
    ['ÄPFEL', 'Build argument name "ÄPFEL"']
  ])('refuses the name %s, naming the field', (name, said) => {
    const problem = checkBuildArgs(rows([name, 'v']), trans);
    expect(problem).toMatchObject({ key: 1, part: 'name' });
    expect(problem?.message).toContain(said);
  });

  it('refuses a value without a name, names repo2docker sets, and a name given twice', () => {
    expect(checkBuildArgs(rows(['', 'v']), trans)?.message).toMatch(
      /^Build argument name: /
    );
    expect(checkBuildArgs(rows(['NB_USER', 'x']), trans)?.message).toMatch(
      /NB_USER.*repo2docker sets it/
    );
    expect(checkBuildArgs(rows(['BUILDKIT_SYNTAX', 'x']), trans)?.part).toBe(
      'name'
    );
    expect(checkBuildArgs(rows(['A', '1'], ['A', '2']), trans)).toMatchObject({
      key: 2,
      part: 'name'
    });
  });

  it('takes at most 32 arguments', () => {
    const many = rows(
      ...Array.from(
        { length: 33 },
        (_, i) => [`A${i}`, 'v'] as [string, string]
      )
    );
    const problem = checkBuildArgs(many, trans);
    expect(problem).toMatchObject({ key: null, part: 'list' });
    expect(problem?.message).toMatch(/at most 32.*remove 1/);
    expect(checkBuildArgs(many.slice(0, 32), trans)).toBeNull();
  });

  it('takes values up to 4 KiB counted in UTF-8 bytes, as the service does', () => {
    expect(checkBuildArgs(rows(['A', 'x'.repeat(4096)]), trans)).toBeNull();
    const over = checkBuildArgs(rows(['A', 'x'.repeat(4097)]), trans);
    expect(over).toMatchObject({ key: 1, part: 'value' });
    expect(over?.message).toContain('Build argument value of A');
    // 2049 two-byte characters are 4098 bytes.
    expect(utf8Length('é'.repeat(2049))).toBe(4098);
    expect(checkBuildArgs(rows(['A', 'é'.repeat(2049)]), trans)?.part).toBe(
      'value'
    );
    expect(utf8Length('😀')).toBe(4);
  });

  it('refuses newlines and control characters in a value, allows a tab', () => {
    expect(checkBuildArgs(rows(['A', 'a\nb']), trans)).toMatchObject({
      part: 'value'
    });
    expect(checkBuildArgs(rows(['A', 'a\u0000b']), trans)?.part).toBe('value');
    expect(checkBuildArgs(rows(['A', 'a\tb']), trans)).toBeNull();
  });
});

describe('checkCredentials', () => {
  const repo = 'https://git.example.org/private.git';

  it('takes both or neither', () => {
    expect(
      checkCredentials({ username: '', token: '' }, repo, trans)
    ).toBeNull();
    expect(credentialsOf({ username: '', token: '' })).toBeNull();
    expect(
      checkCredentials({ username: 'alice', token: 's3cret' }, repo, trans)
    ).toBeNull();
    expect(credentialsOf({ username: ' alice ', token: 's3cret' })).toEqual({
      username: 'alice',
      password: 's3cret'
    });
    expect(
      checkCredentials({ username: 'alice', token: '' }, repo, trans)
    ).toMatchObject({
      part: 'token',
      message: expect.stringMatching(/^Token: /)
    });
    expect(
      checkCredentials({ username: '', token: 's3cret' }, repo, trans)
    ).toMatchObject({
      part: 'username',
      message: expect.stringMatching(/^Username: /)
    });
  });

  it('refuses a token with a newline and a git:// repository, without echoing the token', () => {
    const newline = checkCredentials(
      { username: 'alice', token: 's3cret\n' },
      repo,
      trans
    );
    expect(newline?.part).toBe('token');
    expect(newline?.message).not.toContain('s3cret');
    const git = checkCredentials(
      { username: 'alice', token: 's3cret' },
      'git://git.example.org/r.git',
      trans
    );
    expect(git?.message).toMatch(/https:\/\//);
    expect(git?.message).not.toContain('s3cret');
  });
});
