/**
 * A minimal browser for the issuer's pages in jest: a cookie jar, manual redirects, and
 * form posts with the fields the page rendered. The real-browser tests use chromium.
 */
export class WebSession {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]!).getTime() < Date.now());
      if (!value || expired) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<{ response: Response; html: string; url: string }> {
    const target = new URL(url, this.base).toString();
    const response = await fetch(target, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...init.headers,
      },
      body: init.form ? new URLSearchParams(init.form) : undefined,
    });
    this.remember(response);
    return { response, html: await response.text(), url: target };
  }

  /** Follows redirects on the issuer until a page, or a redirect leaving it (returned as `location`). */
  async follow(url: string, init: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<{ status: number; html: string; url: string; location?: string }> {
    let current = await this.request(url, init);
    for (let hops = 0; hops < 10; hops += 1) {
      const location = current.response.headers.get('location');
      if (!location) return { status: current.response.status, html: current.html, url: current.url };
      const next = new URL(location, current.url);
      if (next.origin !== new URL(this.base).origin) return { status: current.response.status, html: current.html, url: current.url, location: next.toString() };
      current = await this.request(next.toString(), { headers: init.headers });
    }
    throw new Error('too many redirects');
  }
}

/** The hidden and named fields of the page's form whose action ends with `actionSuffix`. */
export function formFields(html: string, actionSuffix: string): { action: string; fields: Record<string, string> } {
  const forms = [...html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find((match) => match[1]!.endsWith(actionSuffix));
  if (!form) throw new Error(`no form ending in ${actionSuffix} in:\n${html}`);
  const fields: Record<string, string> = {};
  for (const [tag] of form[2]!.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(tag)?.[1];
    if (name) fields[name] = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
  }
  return { action: form[1]!, fields };
}
