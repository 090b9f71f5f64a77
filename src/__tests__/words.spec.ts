import { nullTranslator } from '@jupyterlab/translation';
import { errorSummary, finishedSteps, friendlyFieldMessage } from '../words';
import { makeInfo } from './fakes';

const trans = nullTranslator.load('jupyterlab_repo2docker');

describe('friendlyFieldMessage', () => {
  const info = makeInfo();

  it('says how to write an image name instead of quoting its pattern', () => {
    const said = friendlyFieldMessage(
      'name',
      'name must be 1-63 characters of a-z, 0-9, ".", "_" and "-", beginning and ending with a letter or digit',
      info,
      trans
    );
    expect(said).toMatch(/^Use lowercase letters, digits/);
    expect(said).toContain('e.g. my-analysis');
    expect(said).not.toMatch(/a-z/);
  });

  it('names file:// among the schemes only when the admin allows local repositories', () => {
    const message =
      'repo must be an https://, http:// or git:// URL, not ftp://; give the URL';
    expect(friendlyFieldMessage('repo', message, info, trans)).not.toContain(
      'file://'
    );
    const local = makeInfo();
    local.limits.allowLocalRepos = true;
    expect(friendlyFieldMessage('repo', message, local, trans)).toContain(
      'file:///absolute/path'
    );
  });

  it('says a ref was not found and what to do', () => {
    const said = friendlyFieldMessage(
      'ref',
      'ref "mian" was not found in https://x/y',
      info,
      trans
    );
    expect(said).toBe(
      'No branch, tag or commit "mian" in this repository: check its spelling, or leave the field empty to build the default branch.'
    );
    expect(
      friendlyFieldMessage(
        'ref',
        'ref "abc1234" was not found in https://x/y (abbreviated commits cannot be looked up; give all 40 characters)',
        info,
        trans
      )
    ).toMatch(/all 40 characters/);
  });

  it('keeps an unknown message, with the label instead of the field name', () => {
    expect(
      friendlyFieldMessage(
        'subdir',
        'subdir must be at most 1024 bytes',
        info,
        trans
      )
    ).toBe('Subdirectory must be at most 1024 bytes');
  });
});

describe('errorSummary', () => {
  it('makes one line of a Python CalledProcessError, without its command line', () => {
    const error =
      "Error during build: Command '['docker', 'buildx', 'build', '--label', 'a=b', '/tmp/x']' returned non-zero exit status 1.";
    expect(errorSummary(error, trans)).toBe(
      'Error during build: the image build command exited with status 1'
    );
  });

  it('keeps the first line of a plain message and caps a long one', () => {
    expect(
      errorSummary('step 3/3 `RUN …` exited with code 3\nmore detail', trans)
    ).toBe('step 3/3 `RUN …` exited with code 3');
    const long = errorSummary('x'.repeat(5000), trans);
    expect(long.length).toBeLessThanOrEqual(240);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('finishedSteps', () => {
  it('counts the step being run as not done until the build is built', () => {
    expect(finishedSteps({ current: 3, total: 3 }, false)).toBe(2);
    expect(finishedSteps({ current: 1, total: 3 }, false)).toBe(0);
    expect(finishedSteps({ current: 3, total: 3 }, true)).toBe(3);
  });
});
