import type { ServerResponse } from 'node:http';

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** Inline styles only: the pages load nothing from anywhere and run no script. */
const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
label{display:block;margin-top:1rem;font-weight:600}input[type=email],input[type=password],input[type=text]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1.25rem;padding:.6rem 1.2rem;font-size:1rem;cursor:pointer}.secondary{background:none;border:1px solid #767676}
[role=alert]{border-left:4px solid #b00020;padding:.5rem 1rem;background:#fdecee}code{font-size:1.4rem;letter-spacing:.1em}ul{padding-left:1.2rem}`;

/** Pages must not be framed (clickjacking), cached, or leak their URL (it holds the interaction id). */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Cypernex</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

export const alert = (message: string | undefined): string => (message ? `<p role="alert">${escapeHtml(message)}</p>` : '');

export function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  const html = page(title, body);
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(html) });
  res.end(html);
}
