/** The private-address policy: which addresses count as private, patterns, and the check (fake DNS). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import {
  HostPolicy,
  hostMatches,
  hostPolicyFromConfig,
  isPrivateAddress
} from '../../src/builds/host-policy.js';

describe('isPrivateAddress', () => {
  it('counts loopback, link-local, private, CGNAT, unspecified, unique-local and mapped forms as private', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.5',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '100.127.255.255',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'fe80::1%eth0',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:169.254.169.254',
      '::ffff:10.1.2.3',
      '::127.0.0.1',
      '64:ff9b::10.0.0.1',
      '2002:7f00:1::1',
      'not-an-address'
    ]) {
      assert.equal(isPrivateAddress(address), true, address);
    }
  });

  it('counts public addresses as public', () => {
    for (const address of [
      '140.82.121.3',
      '8.8.8.8',
      '172.15.0.1',
      '172.32.0.1',
      '100.63.0.1',
      '100.128.0.1',
      '2606:4700::1111',
      '::ffff:140.82.121.3',
      '2001:db8::1'
    ]) {
      assert.equal(isPrivateAddress(address), false, address);
    }
  });
});

describe('hostMatches', () => {
  it('matches exact names and "*." subdomains, case-insensitively', () => {
    const patterns = [
      'gitlab.internal',
      '*.corp.example',
      '127.0.0.1',
      '[::1]'
    ];
    assert.ok(hostMatches('gitlab.internal', patterns));
    assert.ok(hostMatches('GitLab.Internal', patterns));
    assert.ok(hostMatches('git.corp.example', patterns));
    assert.ok(hostMatches('a.b.corp.example', patterns));
    assert.ok(hostMatches('127.0.0.1', patterns));
    assert.ok(hostMatches('::1', patterns));
    assert.ok(!hostMatches('corp.example', patterns), '"*." needs a subdomain');
    assert.ok(!hostMatches('evilcorp.example', patterns));
    assert.ok(!hostMatches('gitlab.internal.evil.example', patterns));
    assert.ok(!hostMatches('127.0.0.2', patterns));
  });
});

async function refusal(
  policy: HostPolicy,
  repo: string
): Promise<ApiError | null> {
  try {
    await policy.check(repo);
    return null;
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return error;
  }
}

describe('HostPolicy.check', () => {
  const dns: Record<string, string[]> = {
    'public.example': ['140.82.121.3'],
    'mixed.example': ['140.82.121.3', '10.0.0.7'],
    'metadata.example': ['169.254.169.254'],
    'v6.example': ['::ffff:127.0.0.1'],
    'git.corp.example': ['10.1.1.1']
  };
  const asked: string[] = [];
  const resolve = async (host: string): Promise<string[]> => {
    asked.push(host);
    if (!(host in dns)) {
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    }
    return dns[host];
  };
  const policy = new HostPolicy({
    refusePrivateAddresses: true,
    allowedHosts: ['*.corp.example', '127.0.0.1'],
    resolve
  });

  it('refuses a host any of whose addresses is private, with a 400 naming repo that says what to do', async () => {
    for (const repo of [
      'https://mixed.example/x',
      'http://metadata.example/x',
      'git://v6.example/x',
      'http://10.0.0.1/x',
      'https://[::1]/x',
      'http://127.0.0.2:8080/x'
    ]) {
      const error = await refusal(policy, repo);
      assert.ok(error, `${repo} was accepted`);
      assert.equal(error.status, 400);
      assert.equal(error.extra.field, 'repo');
      assert.match(error.message, /private or local address/);
      assert.match(error.message, /builds\.allowedHosts/);
    }
  });

  it('accepts public hosts and the allowed ones; allowed hosts and address literals are not looked up', async () => {
    asked.length = 0;
    assert.equal(await refusal(policy, 'https://public.example/x'), null);
    assert.equal(await refusal(policy, 'https://git.corp.example/x'), null);
    assert.equal(await refusal(policy, 'http://127.0.0.1:9000/x'), null);
    assert.deepEqual(asked, ['public.example']);
    await refusal(policy, 'http://10.0.0.1/x');
    assert.deepEqual(
      asked,
      ['public.example'],
      'an address literal is judged as it is'
    );
  });

  it('refuses a name that does not resolve (400, not a 500)', async () => {
    const error = await refusal(policy, 'https://nowhere.example/x');
    assert.equal(error?.extra.field, 'repo');
    assert.match(error!.message, /ENOTFOUND/);
  });

  it('does nothing when off, and never for local repositories', async () => {
    asked.length = 0;
    const off = new HostPolicy({
      refusePrivateAddresses: false,
      allowedHosts: [],
      resolve
    });
    assert.equal(await refusal(off, 'http://10.0.0.1/x'), null);
    assert.equal(await refusal(off, 'https://metadata.example/x'), null);
    assert.equal(await refusal(policy, 'file:///srv/repo'), null);
    assert.deepEqual(asked, [], 'no DNS lookup at all');
  });

  it('is on by default under JupyterHub, off in local mode, and the config wins', () => {
    assert.equal(
      hostPolicyFromConfig(
        { refusePrivateAddresses: null, allowedHosts: [] },
        'jupyterhub'
      ).refusesPrivateAddresses,
      true
    );
    assert.equal(
      hostPolicyFromConfig(
        { refusePrivateAddresses: null, allowedHosts: [] },
        'local'
      ).refusesPrivateAddresses,
      false
    );
    assert.equal(
      hostPolicyFromConfig(
        { refusePrivateAddresses: false, allowedHosts: [] },
        'jupyterhub'
      ).refusesPrivateAddresses,
      false
    );
    assert.equal(
      hostPolicyFromConfig(
        { refusePrivateAddresses: true, allowedHosts: [] },
        'local'
      ).refusesPrivateAddresses,
      true
    );
  });
});
