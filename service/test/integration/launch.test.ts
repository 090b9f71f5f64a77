/**
 * Use what you built: a real JupyterHub 6 with DockerSpawner and the project's spawner helper
 * (examples/jupyterhub_config.py, section 6), real containers on the real engine.
 *
 * alice builds the launchable fixture (FROM the registry-free base of
 * scripts/make-launchable-base.sh) through the service, starts a named server in that image
 * through the hub's REST API with her own token, and finds the file her build wrote through the
 * new server's contents API; bob's hand-made start with alice's image is refused and nothing
 * starts. Prints the time from POST to ready.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import {
  containerImage,
  removeImage,
  spawnedContainers
} from '../helpers/docker-cli.js';
import {
  Browser,
  buildThroughHub,
  HubProcess,
  stopKeepingLog
} from '../helpers/hub.js';
import { makeLaunchableFixture, requireRealParts } from '../helpers/paths.js';

const HUB_LOG = join(tmpdir(), 'r2d-launch-test.log');
const FIXTURE_FILE = 'built-by-fixture.txt';

/** Containers of this test's hub for `user`, stopped ones too. */
const containersOf = (user: string): string[] =>
  spawnedContainers(user, { all: true });

interface ProgressEvent {
  progress?: number;
  message?: string;
  ready?: boolean;
  failed?: boolean;
  url?: string;
}

/** Read the hub's spawn progress stream until `ready` or `failed`. */
async function waitForSpawn(
  hub: HubProcess,
  token: string,
  user: string,
  server: string,
  seconds = 120
): Promise<ProgressEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), seconds * 1000);
  const events: ProgressEvent[] = [];
  try {
    const response = await fetch(
      `${hub.url}/hub/api/users/${user}/servers/${server}/progress`,
      {
        headers: {
          authorization: `token ${token}`,
          accept: 'text/event-stream'
        },
        signal: controller.signal
      }
    );
    assert.equal(
      response.status,
      200,
      `progress stream: ${response.status} ${await response.clone().text()}`
    );
    let done = false;
    const parser = createParser({
      onEvent(message) {
        const event = JSON.parse(message.data) as ProgressEvent;
        events.push(event);
        done ||= Boolean(event.ready || event.failed);
      }
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (done) {
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

async function hubCall(
  hub: HubProcess,
  token: string,
  method: string,
  path: string,
  body?: unknown
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${hub.url}/hub/api${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      'content-type': 'application/json'
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // an HTML error page
  }
  return { status: response.status, body: parsed };
}

describe('starting a JupyterHub server in an environment (DockerSpawner + jupyterlab_repo2docker.spawner)', () => {
  let hub: HubProcess;
  let fixtureDir: string;
  let launchable: string;
  const tokens: Record<string, string> = {};
  const made = new Set<string>();
  let aliceImage = '';
  const server = `env-${randomBytes(3).toString('hex')}`;

  before(async () => {
    requireRealParts();
    fixtureDir = mkdtempSync(join(tmpdir(), 'r2d-launch-fixture-'));
    launchable = `file://${makeLaunchableFixture(fixtureDir)}`;
    hub = await new HubProcess({ env: { R2D_HUB_SPAWNER: 'docker' } }).start();
    for (const user of ['alice', 'bob']) {
      tokens[user] = await hub.token(user);
    }
  });

  after(async () => {
    if (hub && aliceImage) {
      await hubCall(
        hub,
        tokens.alice,
        'DELETE',
        `/users/alice/servers/${server}`
      );
    }
    await stopKeepingLog(hub, HUB_LOG);
    made.forEach(removeImage);
    if (fixtureDir) {
      rmSync(fixtureDir, { recursive: true, force: true });
    }
  });

  it('alice builds the launchable fixture through the service, starts a named server in it, finds the built file, and stops it', async () => {
    const build = await buildThroughHub(
      hub,
      tokens.alice,
      { repo: launchable, ref: 'main' },
      made,
      300
    );
    aliceImage = build.image;
    assert.match(aliceImage, /^r2d-alice\//);

    const t0 = performance.now();
    const post = await hubCall(
      hub,
      tokens.alice,
      'POST',
      `/users/alice/servers/${server}`,
      { image: aliceImage }
    );
    assert.ok(
      [201, 202].includes(post.status),
      `start: ${post.status} ${JSON.stringify(post.body)}`
    );
    const events = await waitForSpawn(hub, tokens.alice, 'alice', server);
    const seconds = (performance.now() - t0) / 1000;
    const last = events.at(-1);
    assert.equal(
      last?.ready,
      true,
      `spawn did not get ready: ${JSON.stringify(events)}\n${hub.output.slice(-3000)}`
    );
    console.log(
      `# spawn: POST to ready in ${seconds.toFixed(2)} s (${events.length} progress events)`
    );

    // The hub started the container from alice's image, not the spawner's default.
    const [container] = containersOf('alice');
    assert.ok(container, 'a container for alice');
    assert.equal(containerImage(container), aliceImage);

    // The file her build wrote is in the new server's home, through its contents API.
    const serverUrl = `${hub.url}${last!.url ?? `/user/alice/${server}/`}`;
    const file = await fetch(
      `${serverUrl}api/contents/${FIXTURE_FILE}?content=1&type=file`,
      {
        headers: { authorization: `token ${tokens.alice}` }
      }
    );
    assert.equal(
      file.status,
      200,
      `${serverUrl}api/contents/${FIXTURE_FILE}: ${file.status}`
    );
    const contents = (await file.json()) as { content: string };
    assert.match(
      contents.content,
      /^built by the launchable fixture [0-9a-f]{32}/
    );

    // Stop: the hub removes the server and the rig's DockerSpawner (remove=True) the container.
    const stop = await hubCall(
      hub,
      tokens.alice,
      'DELETE',
      `/users/alice/servers/${server}`
    );
    assert.ok(
      [202, 204].includes(stop.status),
      `stop: ${stop.status} ${JSON.stringify(stop.body)}`
    );
    const deadline = Date.now() + 30_000;
    while (containersOf('alice').length > 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 300));
    }
    assert.deepEqual(containersOf('alice'), [], 'the container is gone');
    const user = await hubCall(hub, tokens.alice, 'GET', '/users/alice');
    assert.equal(
      user.body.servers?.[server]?.ready ?? false,
      false,
      'the hub lists no running server'
    );
  });

  it("offers each user their own images on the hub's spawn page (the helper's options_form)", async () => {
    assert.ok(aliceImage, 'the first test built alice’s image');
    const pages: Record<string, string> = {};
    for (const user of ['alice', 'bob']) {
      const browser = new Browser();
      await browser.logIn(hub, user);
      const page = await browser.request(
        'GET',
        `${hub.url}/hub/spawn/${user}/form-${randomBytes(2).toString('hex')}`
      );
      assert.equal(
        page.status,
        200,
        `${user}'s spawn page: ${page.status} ${page.chain.join(' -> ')}`
      );
      pages[user] = page.text;
    }
    assert.match(pages.alice, /<select[^>]+name="image"/);
    assert.ok(
      pages.alice.includes(`<option value="${aliceImage}">`),
      "alice's page offers her image"
    );
    assert.ok(
      !pages.bob.includes(aliceImage),
      "bob's page does not name alice's image"
    );
  });

  it("refuses bob a server in alice's private image, however the request names it; nothing starts", async () => {
    assert.ok(aliceImage, 'the previous test built alice’s image');
    // bob may see his own and shared images only: alice's is not among them.
    const listed = await hub.api(tokens.bob, 'GET', '/api/images');
    assert.equal(listed.status, 200);
    assert.ok(
      !listed.body.images.some(
        (image: { name: string }) => image.name === aliceImage
      ),
      'bob does not see it'
    );

    const bodies = [
      { image: aliceImage },
      { user_options: { image: aliceImage } }
    ];
    for (const [index, body] of bodies.entries()) {
      const name = `stolen-${index}`;
      const post = await hubCall(
        hub,
        tokens.bob,
        'POST',
        `/users/bob/servers/${name}`,
        body
      );
      assert.equal(
        post.status,
        400,
        `bob's start with ${JSON.stringify(body)}: ${post.status} ${JSON.stringify(post.body)}`
      );
      // DockerSpawner's words: "not in allowed list: <bob's images>", or, when bob may use no
      // image at all, "Specifying image to launch is not allowed".
      assert.match(
        post.body.message,
        /not in allowed list|image to launch is not allowed/
      );
      const allowed = String(post.body.message).split('allowed list:')[1] ?? '';
      assert.ok(
        !allowed.includes('r2d-alice/'),
        `the refusal lists none of alice's images: ${post.body.message}`
      );
      const user = await hubCall(hub, tokens.bob, 'GET', '/users/bob');
      assert.equal(
        user.body.servers?.[name]?.ready ?? false,
        false,
        'no server is ready'
      );
    }
    assert.deepEqual(
      containersOf('bob'),
      [],
      'no container was created for bob'
    );
  });
});
