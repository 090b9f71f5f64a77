/** The service page's HTML: a shell the script fills in. Only the XSRF token is interpolated. */
import { documentHtml } from './document.js';

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; background: #fff; }
  @media (prefers-color-scheme: dark) { body { color: #ddd; background: #1b1b1b; } #log { background: #111; } }
  header { display: flex; justify-content: space-between; align-items: baseline; }
  form { display: grid; grid-template-columns: 1fr 10rem 10rem auto auto; gap: .5rem; margin: 1rem 0; align-items: center; }
  input, button { font: inherit; padding: .3rem .5rem; }
  .error { color: #b00020; }
  ul { padding-left: 1.2rem; }
  .phase { font-size: .85em; padding: 0 .4em; border-radius: .3em; background: #8884; }
  .phase-built .phase { background: #2e7d3244; } .phase-failed .phase { background: #c6282844; } .phase-pushing .phase { background: #1565c044; }
  .location { font-size: .85em; opacity: .8; } #log .pushing { color: #1565c0; }
  #log { font-family: ui-monospace, monospace; font-size: .85em; white-space: pre-wrap; max-height: 30rem; overflow: auto; background: #f6f6f6; padding: .5rem; }
`;

export function pageHtml(xsrf: string): string {
  return documentHtml({
    title: 'repo2docker',
    style: STYLE,
    xsrf,
    body: `<header><h1>repo2docker</h1><span>Signed in as <strong id="user">…</strong></span></header>
<p id="registry" hidden></p>
<p id="error" class="error" hidden></p>
<form id="build-form" hidden>
  <input name="repo" placeholder="https://github.com/owner/repo" required aria-label="Repository URL">
  <input name="ref" placeholder="ref (HEAD)" aria-label="Ref">
  <input name="name" placeholder="image name" aria-label="Image name">
  <label id="push-field" hidden><input type="checkbox" id="push" name="push"> Push</label>
  <button type="submit">Build</button>
</form>
<p id="form-error" class="error" hidden></p>
<h2>Builds</h2><p id="no-builds">No builds yet.</p><ul id="builds"></ul>
<h2>Images</h2><p id="image-warnings" class="error" hidden></p><p id="no-images">No images yet.</p><ul id="images"></ul>
<h2 id="log-title">Log</h2><div id="log" role="log" aria-live="polite"></div>
<script src="page.js"></script>`
  });
}
