/**
 * The launch page's script, served as /launch.js (plain browser JavaScript, like page.js): follow
 * the build's log (EventSource, as the service page does), then ask the service to start the
 * server (a cookie-authenticated write: it carries the page's XSRF token), follow the hub's spawn
 * progress through the service, and go into the new server's JupyterLab. Values from the API are
 * written with textContent, never as markup; the redirect must stay on this origin.
 */
import { FINAL_PHASES } from '../../api/contract.js';

export const LAUNCH_SCRIPT = String.raw`
'use strict';
const FINAL_PHASES = ${JSON.stringify(FINAL_PHASES)};
const $ = (id) => document.getElementById(id);
const xsrf = document.querySelector('meta[name="xsrf-token"]').content;
const data = JSON.parse($('launch-data').textContent);

function say(text) { $('status').textContent = text; }
function fail(text) { const e = $('error'); e.textContent = text; e.hidden = false; say('Stopped.'); }
function line(text) { const log = $('log'); const row = document.createElement('div'); row.textContent = text; log.append(row); log.scrollTop = log.scrollHeight; }

function labUrl(url) {
  const target = new URL(url.replace(/\/?$/, '/') + 'lab', location.href);
  if (target.origin !== location.origin) throw new Error('the hub answered a server URL on another origin: ' + target.origin);
  return target.href;
}

function followBuild() {
  say('Building ' + data.displayName + '…');
  const stream = new EventSource('api/builds/' + encodeURIComponent(data.build) + '/logs');
  stream.addEventListener('log', (message) => {
    const event = JSON.parse(message.data);
    line(event.message);
    if (!FINAL_PHASES.includes(event.phase)) return;
    stream.close();
    if (event.phase === 'built') startServer(); else fail('The build ' + event.phase + ': ' + event.message);
  });
}

function startServer() {
  if (!data.confirm) { spawnServer(); return; }
  say('This link came from another site: press Start server to start ' + data.displayName + '.');
  const button = $('confirm'); button.hidden = false;
  button.onclick = () => { button.hidden = true; spawnServer(); };
}

async function spawnServer() {
  say('Starting a server in ' + data.displayName + '…');
  $('spawn').hidden = false;
  let answer;
  try {
    const res = await fetch('launch/servers', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-XSRFToken': xsrf },
      body: JSON.stringify({ build: data.build })
    });
    answer = await res.json().catch(() => null);
    if (!res.ok) throw new Error((answer && answer.error && answer.error.message) || res.statusText);
  } catch (e) { fail(e.message); return; }
  $('spawn-progress').setAttribute('aria-label', 'Starting server ' + answer.server);
  const progress = new EventSource(answer.progress);
  progress.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (typeof event.progress === 'number') $('spawn-progress').value = event.progress;
    if (event.message) $('spawn-message').textContent = event.message;
    if (event.failed) { progress.close(); fail('The server did not start: ' + (event.message || 'failed')); return; }
    if (event.ready) {
      progress.close();
      say('Ready: opening JupyterLab in ' + answer.server + '…');
      try { location.assign(labUrl(event.url || answer.url)); } catch (e) { fail(e.message); }
    }
  };
}

if (data.alreadyBuilt || data.phase === 'built') {
  line(data.image + ' is built already; nothing to build.');
  say('Already built.');
  startServer();
} else if (FINAL_PHASES.includes(data.phase)) {
  fail('The build ' + data.phase + '.');
} else {
  followBuild();
}
`;
