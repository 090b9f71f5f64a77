/** The frame the service's HTML pages share: escaping, and the document around a page's body. */

/** For text and attribute values alike: `&`, `"`, `<` and `>` become entities. */
export const escapeHtml = (value: string): string =>
  value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');

/**
 * A whole document. `title` is escaped here; `style` and `body` are the caller's markup. A page
 * with `xsrf` is a working page (its script writes with that token): it also sizes for phones.
 */
export function documentHtml(page: {
  title: string;
  style: string;
  xsrf?: string;
  body: string;
}): string {
  const meta =
    page.xsrf === undefined
      ? ''
      : `<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="xsrf-token" content="${escapeHtml(page.xsrf)}">
`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${meta}<title>${escapeHtml(page.title)}</title>
<style>${page.style}</style>
</head>
<body>
${page.body}
</body>
</html>`;
}
