/**
 * The service page's script, served as /page.js. Plain browser JavaScript with no build step:
 * it calls the same REST API as the JupyterLab extension (same origin, session cookie, XSRF header
 * on writes) and follows logs with EventSource, which resumes with Last-Event-ID by itself.
 * Every value from the API is written with textContent, never as markup. The contract's values
 * (final phases) are written into it from the contract module.
 */
import { FINAL_PHASES } from '../../api/contract.js';

export const PAGE_SCRIPT = String.raw`
'use strict';
const FINAL_PHASES = ${JSON.stringify(FINAL_PHASES)};
const xsrf = document.querySelector('meta[name="xsrf-token"]').content;
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
let stream = null;

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-XSRFToken'] = xsrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error((data && data.error && data.error.message) || res.statusText), { data, status: res.status });
  return data;
}

function showError(target, error) { target.textContent = error.message; target.hidden = false; }

async function refresh() {
  try {
    const [{ builds }, data] = await Promise.all([api('GET', 'api/builds'), api('GET', 'api/images')]);
    const images = data.images;
    const buildList = $('builds'); buildList.replaceChildren();
    for (const b of builds) {
      const row = el('li', undefined, 'phase-' + b.phase);
      const phase = b.phase + (b.phase === 'pushing' && b.progress ? ' ' + b.progress.current + '/' + b.progress.total + ' layers' : '');
      row.append(el('strong', b.displayName), ' ', el('span', phase, 'phase'), ' ', el('code', b.folder ? 'folder ' + (b.folder.path || '.') : b.repo + '@' + b.commit.slice(0, 8)), ' ');
      if (b.push) row.append(el('span', b.phase === 'built' ? 'pushed' : 'push', 'location'), ' ');
      if (b.error) row.append(el('span', b.error, 'error'), ' ');
      const logs = el('button', 'Logs'); logs.onclick = () => follow(b.id, b.displayName); row.append(logs);
      if (!FINAL_PHASES.includes(b.phase) && canBuild) {
        const cancel = el('button', 'Cancel'); cancel.onclick = () => api('DELETE', 'api/builds/' + b.id).then(refresh, e => showError($('error'), e)); row.append(' ', cancel);
      }
      buildList.append(row);
    }
    $('no-builds').hidden = builds.length > 0;
    const imageList = $('images'); imageList.replaceChildren();
    for (const i of images) {
      const row = el('li');
      row.append(el('strong', i.displayName), ' ', el('code', i.name), ' ', el('span', i.owner + (i.shared ? ' (shared)' : ''), 'owner'), ' ', el('span', where(i.location), 'location'), ' ');
      if (canBuild && (isAdmin || (!i.shared && i.owner === userName))) {
        const del = el('button', 'Delete'); del.onclick = () => { if (confirm('Delete ' + i.name + '?')) api('DELETE', 'api/images/' + encodeURIComponent(i.name)).then(r => { if (r && r.message) alert(r.message); refresh(); }, e => showError($('error'), e)); }; row.append(del);
      }
      imageList.append(row);
    }
    $('no-images').hidden = images.length > 0;
    $('image-warnings').textContent = (data.warnings || []).join(' '); $('image-warnings').hidden = !data.warnings;
    $('error').hidden = true;
  } catch (e) { showError($('error'), e); }
}

function where(location) {
  if (!location) return '';
  if (location.engine && location.registry) return 'engine + registry';
  if (location.registry) return 'registry only';
  return hasRegistry ? 'engine only (not pushed)' : 'engine';
}

function follow(id, label) {
  if (stream) stream.close();
  const log = $('log'); log.replaceChildren(); $('log-title').textContent = 'Log of ' + label;
  stream = new EventSource('api/builds/' + encodeURIComponent(id) + '/logs');
  stream.addEventListener('log', (message) => {
    const event = JSON.parse(message.data);
    log.append(el('div', event.message, event.phase === 'pushing' ? 'pushing' : undefined));
    if (FINAL_PHASES.includes(event.phase)) { stream.close(); stream = null; refresh(); }
    log.scrollTop = log.scrollHeight;
  });
}

let canBuild = false, isAdmin = false, userName = '', hasRegistry = false;
async function start() {
  try {
    const info = await api('GET', 'api/info');
    userName = info.user.name; canBuild = info.user.permissions.build; isAdmin = info.user.permissions.admin;
    $('user').textContent = info.user.name + (canBuild ? '' : ' (read only)');
    $('build-form').hidden = !canBuild;
    hasRegistry = info.registry !== null;
    if (hasRegistry) { $('registry').textContent = 'Registry: ' + info.registry.url + (info.registry.pushByDefault ? ' (builds push by default)' : ''); $('registry').hidden = false; }
    $('push-field').hidden = !hasRegistry; $('push').checked = hasRegistry && info.registry.pushByDefault;
  } catch (e) { showError($('error'), e); return; }
  $('build-form').onsubmit = async (submit) => {
    submit.preventDefault();
    const form = new FormData(submit.target); const body = { repo: form.get('repo') };
    for (const key of ['ref', 'name']) if (form.get(key)) body[key] = form.get(key);
    if (hasRegistry) body.push = $('push').checked;
    $('form-error').hidden = true;
    try { const b = await api('POST', 'api/builds', body); follow(b.id, b.displayName); refresh(); }
    catch (e) { showError($('form-error'), e); }
  };
  refresh(); setInterval(refresh, 5000);
}
start();
`;
