/**
 * HubClient against a real JupyterHub (6.1.1 from the venv, local-process spawner), when
 * HUB_SMOKE_URL and HUB_SMOKE_ADMIN_TOKEN name one (a service token with admin:users, tokens and
 * admin:servers); skipped otherwise. What it checks the fakes cannot: the hub's real status codes,
 * content types, 403 words, progress stream and user model.
 *
 *   HUB_SMOKE_URL=http://127.0.0.1:PORT HUB_SMOKE_ADMIN_TOKEN=… npx jest hubApi.live
 */

import { HubClient, HubError, missingServerScopes } from '../hub/hubApi';
import { hubPageConfig } from './hubFakes';

// The extension's tsconfig has no Node types; jest runs in Node all the same.
declare const process: { env: Record<string, string | undefined> };

const url = process.env.HUB_SMOKE_URL ?? '';
const adminToken = process.env.HUB_SMOKE_ADMIN_TOKEN ?? '';
const named = process.env.HUB_SMOKE_NAMED !== '0';
const live = url && adminToken ? describe : describe.skip;

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}/hub/api/${path}`, {
    ...init,
    headers: { Authorization: `token ${adminToken}`, ...(init.headers ?? {}) }
  });
}

/** A token of alice's with `scopes`. */
async function tokenWith(scopes: string[]): Promise<string> {
  await admin('users/alice', { method: 'POST' });
  const response = await admin('users/alice/tokens', {
    method: 'POST',
    body: JSON.stringify({ scopes, note: 'launch smoke test' })
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

function clientWith(token: string): HubClient {
  const page = hubPageConfig({ hubHost: url });
  return new HubClient({
    user: 'alice',
    pageConfig: { ...page, getToken: () => token },
    fetch: (input, init) => fetch(input, init)
  });
}

live('HubClient on a real JupyterHub', () => {
  jest.setTimeout(150_000);

  (named ? it : it.skip)(
    'starts, follows, lists and stops a named server',
    async () => {
      const client = clientWith(
        await tokenWith([
          'start:servers!user=alice',
          'read:servers!user=alice',
          'delete:servers!user=alice'
        ])
      );
      expect(missingServerScopes((await client.tokenScopes()) ?? [])).toEqual(
        []
      );
      await client.startServer('smoke', 'r2d-alice/smoke:1');
      const messages: string[] = [];
      const ready = await client.followProgress('smoke', event =>
        messages.push(event.message)
      );
      expect(ready.ready).toBe(true);
      expect(ready.url).toBe('/user/alice/smoke/');
      expect(client.labUrl(ready.url!)).toBe(`${url}/user/alice/smoke/lab`);
      const servers = await client.listServers();
      expect(servers).toEqual([
        expect.objectContaining({
          name: 'smoke',
          image: 'r2d-alice/smoke:1',
          ready: true,
          url: '/user/alice/smoke/'
        })
      ]);
      await client.stopServer('smoke');
      // 202 while stopping; the removal follows the stop.
      for (let i = 0; i < 40; i++) {
        if ((await client.listServers()).length === 0) {
          break;
        }
        await new Promise(resolve => setTimeout(resolve, 250));
      }
      expect(await client.listServers()).toEqual([]);
      const model = (await (
        await admin('users/alice?include_stopped_servers=1')
      ).json()) as {
        servers: Record<string, unknown>;
      };
      expect(Object.keys(model.servers)).not.toContain('smoke');
    }
  );

  it('says which scopes a token lacks, before and when refused', async () => {
    const client = clientWith(await tokenWith(['read:users:name!user=alice']));
    expect(missingServerScopes((await client.tokenScopes()) ?? [])).toEqual([
      'start:servers',
      'read:servers',
      'delete:servers'
    ]);
    const start = await client
      .startServer('nope', 'r2d-alice/smoke:1')
      .catch((e: HubError) => e);
    expect(start).toBeInstanceOf(HubError);
    expect(start).toMatchObject({ kind: 'missing_scope', status: 403 });
    const list = await client.listServers().catch((e: HubError) => e);
    expect(list).toMatchObject({
      kind: 'missing_scope',
      scope: 'read:servers'
    });
    const stop = await client.stopServer('nope').catch((e: HubError) => e);
    expect(stop).toMatchObject({ kind: 'missing_scope', status: 403 });
  });

  (named ? it.skip : it)('says named servers are off', async () => {
    const client = clientWith(
      await tokenWith(['start:servers!user=alice', 'read:servers!user=alice'])
    );
    const error = await client
      .startServer('smoke', 'r2d-alice/smoke:1')
      .catch((e: HubError) => e);
    expect(error).toMatchObject({ kind: 'named_servers_off', status: 400 });
  });
});
