/**
 * The launch link's page (`GET /launch?repo=…`): a shell that launch.js fills in while the build
 * runs and the server starts. Only the XSRF token and the build's public facts are interpolated,
 * escaped; never a token.
 */
import { documentHtml, escapeHtml } from './document.js';

/** What launch.js needs about the build, embedded as JSON (`<` escaped: no early `</script>`). */
export interface LaunchPageData {
  build: string;
  displayName: string;
  image: string;
  phase: string;
  alreadyBuilt: boolean;
  /**
   * The link was followed from another site (`Sec-Fetch-Site: cross-site`): the server starts
   * only when the person presses Start server, so no page elsewhere starts one behind their back.
   */
  confirm: boolean;
}

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; background: #fff; }
  @media (prefers-color-scheme: dark) { body { color: #ddd; background: #1b1b1b; } #log { background: #111; } }
  .error { color: #b00020; }
  progress { width: 100%; }
  #log { font-family: ui-monospace, monospace; font-size: .85em; white-space: pre-wrap; max-height: 30rem; overflow: auto; background: #f6f6f6; padding: .5rem; }
`;

export function launchPageHtml(xsrf: string, data: LaunchPageData): string {
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return documentHtml({
    title: `Launching ${data.displayName} · repo2docker`,
    style: STYLE,
    xsrf,
    body: `<h1>Launching ${escapeHtml(data.displayName)}</h1>
<p><code id="image">${escapeHtml(data.image)}</code></p>
<p id="status" role="status"></p>
<p id="error" class="error" role="alert" hidden></p>
<p><button id="confirm" type="button" hidden>Start server</button></p>
<div id="spawn" hidden>
  <progress id="spawn-progress" max="100" value="0" aria-label="Starting server"></progress>
  <p id="spawn-message"></p>
</div>
<h2>Build log</h2>
<div id="log" role="log" aria-live="polite"></div>
<script type="application/json" id="launch-data">${json}</script>
<script src="launch.js"></script>`
  });
}

/** A refused launch, for a browser: the reason, and which field of the link is wrong. */
export function launchErrorHtml(
  status: number,
  message: string,
  field?: string
): string {
  const which = field
    ? `<p>The link's <code>${escapeHtml(field)}</code> is the problem.</p>`
    : '';
  return documentHtml({
    title: 'Cannot launch · repo2docker',
    style: STYLE,
    body: `<h1>Cannot launch (${status})</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>
${which}`
  });
}
