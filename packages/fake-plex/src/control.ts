/** Control routes under /__fake/ on the plex.tv origin, for the demo, end-to-end and browser tests. */
import type { Hono } from 'hono'
import type { Fault } from './faults.ts'
import { parseFault } from './faults.ts'
import { PLEX_TV_ERRORS } from './plex-errors.ts'
import { clientIp } from './plex-tv.ts'
import type { FakeState } from './state.ts'
import { jsonResponse } from './wire.ts'

export interface Controls {
  state: FakeState
  inject(fault: Fault): void
  clearFaults(): void
  reset(): void
  restartServer(serverId: string): void
  requests(): unknown[]
}

/** Reads a JSON or form body as a flat record of strings (other values dropped). */
async function readFields(request: Request): Promise<Record<string, string> | undefined> {
  const type = (request.headers.get('content-type') ?? '').toLowerCase()
  const text = await request.text()
  if (type.startsWith('application/json')) {
    try {
      const value: unknown = JSON.parse(text)
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
      const fields: Record<string, string> = {}
      for (const [key, entry] of Object.entries(value)) {
        if (typeof entry === 'string' || typeof entry === 'number') fields[key] = String(entry)
      }
      return fields
    } catch {
      return undefined
    }
  }
  return Object.fromEntries(new URLSearchParams(text))
}

function controlError(status: number, message: string, code?: number): Response {
  return jsonResponse({ errors: [{ ...(code === undefined ? {} : { code }), message, status }] }, status)
}

/** Adds the /__fake/* routes to the plex.tv app. Answers are always JSON (or 204). */
export function registerControlRoutes(app: Hono, controls: Controls): void {
  const { state } = controls

  // Plays app.plex.tv's "Approve" button: checks password and 2FA exactly like sign-in (lockout included).
  app.post('/__fake/pins/approve', async (c) => {
    const fields = await readFields(c.req.raw)
    if (!fields?.code) return controlError(400, 'code is required')
    const pin = state.findPin(fields.code)
    if (!pin || (fields.clientID && fields.clientID !== pin.clientIdentifier)) {
      return controlError(404, PLEX_TV_ERRORS.pinNotFound.message, PLEX_TV_ERRORS.pinNotFound.code)
    }
    const result = state.authenticate(
      clientIp(c.req.raw),
      fields.login ?? '',
      fields.password ?? '',
      fields.verificationCode ?? '',
    )
    if (!result.ok) return controlError(result.error.status, result.error.message, result.error.code)
    state.approvePin(pin, result.account.login)
    return jsonResponse({ approved: true, id: pin.id, product: pin.product, login: result.account.login })
  })

  // The account's "Authorized Devices": live tokens issued to a device (sign-in or PIN).
  app.get('/__fake/devices', (c) => {
    const login = c.req.query('login')
    if (!login) return controlError(400, 'login is required')
    if (!state.findAccount(login)) return controlError(404, 'no such account')
    return jsonResponse({ devices: state.devices(login) })
  })

  app.delete('/__fake/devices/:clientIdentifier', (c) => {
    if (!state.removeDevice(c.req.param('clientIdentifier'))) return controlError(404, 'no such device')
    return new Response(null, { status: 204 })
  })

  app.post('/__fake/servers/:id/restart', (c) => {
    if (!state.findServer(c.req.param('id'))) return controlError(404, 'no such server')
    controls.restartServer(c.req.param('id'))
    return new Response(null, { status: 204 })
  })

  app.post('/__fake/tokens/revoke', async (c) => {
    const fields = await readFields(c.req.raw)
    if (!fields?.token) return controlError(400, 'token is required')
    if (!state.revokeToken(fields.token)) return controlError(404, 'no such token')
    return new Response(null, { status: 204 })
  })

  app.post('/__fake/faults', async (c) => {
    let value: unknown
    try {
      value = await c.req.json()
    } catch {
      return controlError(400, 'body must be a JSON fault')
    }
    const fault = parseFault(value)
    if (typeof fault === 'string') return controlError(400, fault)
    controls.inject(fault)
    return new Response(null, { status: 204 })
  })

  app.delete('/__fake/faults', () => {
    controls.clearFaults()
    return new Response(null, { status: 204 })
  })

  app.post('/__fake/reset', () => {
    controls.reset()
    return new Response(null, { status: 204 })
  })

  app.get('/__fake/requests', () => jsonResponse(controls.requests()))
}
