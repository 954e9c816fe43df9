/** A Plex Media Server: /identity, /security/token and /security/resources. Errors are HTML pages. */
import { Hono } from 'hono'
import { pmsHtmlError } from './plex-errors.ts'
import { requestToken, serverConnections } from './plex-tv.ts'
import type { SeedServer } from './seed.ts'
import type { FakeState } from './state.ts'
import { jsonResponse, toXml, wantsJson, xmlResponse } from './wire.ts'

/** PMS bodies: `{"MediaContainer":{...}}` in JSON, `<MediaContainer .../>` in XML (the default). */
function mediaContainer(request: Request, body: Record<string, unknown>): Response {
  return wantsJson(request)
    ? jsonResponse({ MediaContainer: body })
    : xmlResponse(toXml('MediaContainer', body))
}

/** Connection information for `server://<id>` (a server of the same owner) or `provider://<id>`. */
function sourceDevice(
  state: FakeState,
  server: SeedServer,
  source: string,
  accessToken: string,
): Record<string, unknown> | undefined {
  const serverMatch = /^server:\/\/(.+)$/.exec(source)
  if (serverMatch) {
    const target = state.findServer(serverMatch[1] ?? '')
    if (!target || target.ownerLogin !== server.ownerLogin) return undefined
    return {
      name: target.name,
      clientIdentifier: target.id,
      accessToken,
      Connection: serverConnections(target).map((c) => ({
        protocol: c.protocol,
        address: c.address,
        port: c.port,
        uri: c.uri,
        local: c.local,
        relay: c.relay,
      })),
    }
  }
  const providerMatch = /^provider:\/\/(.+)$/.exec(source)
  const provider = providerMatch?.[1]
  if (provider && state.seed.providers?.includes(provider)) {
    const host = `${provider.split('.').pop()}.provider.plex.tv`
    return {
      name: provider,
      clientIdentifier: provider,
      accessToken,
      Connection: [
        { protocol: 'https', address: host, port: 443, uri: `https://${host}`, local: false, relay: false },
      ],
    }
  }
  return undefined
}

/** The app answering for one seeded server. */
export function createPmsApp(state: FakeState, server: SeedServer): Hono {
  const app = new Hono()

  app.get('/identity', (c) =>
    mediaContainer(c.req.raw, {
      size: 0,
      claimed: true,
      machineIdentifier: server.id,
      version: server.version ?? '1.41.3.9314-a0bfb8370',
    }),
  )

  // The older spec and clients use GET; the current spec says every verb works and POST is preferred.
  app.all('/security/token', (c) => {
    const caller = state.pmsCaller(server, requestToken(c.req.raw))
    if (!caller) return pmsHtmlError(401)
    if (c.req.query('type') !== 'delegation' || c.req.query('scope') !== 'all') return pmsHtmlError(400)
    // A transient token cannot delegate again.
    if (caller.transient) return pmsHtmlError(403)
    const transient = state.createTransientToken(server, caller)
    return mediaContainer(c.req.raw, { size: 0, token: transient.token })
  })

  app.get('/security/resources', (c) => {
    const caller = state.pmsCaller(server, requestToken(c.req.raw))
    if (!caller) return pmsHtmlError(401)
    const source = c.req.query('source')
    if (!source) return pmsHtmlError(400)
    // PMS >= 1.15.4: only the admin token, or a transient token made from it.
    if (!caller.admin) return pmsHtmlError(403)
    const device = sourceDevice(state, server, source, caller.baseToken)
    if (!device) return pmsHtmlError(404)
    return mediaContainer(c.req.raw, { size: 1, Device: device })
  })

  app.notFound(() => pmsHtmlError(404))
  app.onError(() => pmsHtmlError(500))
  return app
}
