/*
 * How the OpenID Connect endpoints say no. The token, userinfo and revocation endpoints answer as OAuth
 * requires (RFC 6749 5.2, RFC 6750 3): `application/json` with `error` and `error_description`, which
 * relying-party libraries parse; the rest of the API answers problem+json. The authorization endpoint
 * redirects its errors to the client, except when the client or its redirect URI is wrong: then the
 * browser gets a page, and is never sent anywhere (no open redirect).
 */

/** An OAuth error response. Descriptions are fixed strings: nothing the request sent comes back. */
export function oauthError(
  status: 400 | 401 | 413,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error, error_description: description }), {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    },
  })
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** A small HTML page for a person, with no script and nothing from the request in it. */
export function htmlPage(status: 200 | 400, title: string, message: string): Response {
  const html = (text: string) => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch)
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>` +
    '<meta name="viewport" content="width=device-width"></head>' +
    `<body><h1>${html(title)}</h1><p>${html(message)}</p></body></html>`
  return new Response(body, {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    },
  })
}

/**
 * Back to the client with an error (or a code): `state` echoed and `iss` added (RFC 9207), so a client
 * that talks to several providers can tell which one answered (mix-up).
 */
export function redirectToClient(redirectUri: string, params: Record<string, string | undefined>): Response {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(name, value)
  return new Response(null, { status: 302, headers: { Location: url.href, 'Cache-Control': 'no-store' } })
}
