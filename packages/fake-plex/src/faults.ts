/** Fault injection: make the next matching requests fail the way real networks and hosts fail. */

export type FaultKind =
  | {
      kind: 'status'
      status: number
      body?: string | Record<string, unknown> | unknown[]
      headers?: Record<string, string>
    }
  | { kind: 'delay'; ms: number }
  | { kind: 'network' }
  | { kind: 'garbage' }

export type Fault = FaultKind & {
  /** 'plex.tv' or a server id; default: every host. */
  host?: string
  method?: string
  /** Exact pathname, e.g. '/api/v2/user'. */
  path?: string
  /** How many matching requests it applies to; default Infinity. */
  times?: number
}

interface ActiveFault {
  fault: Fault
  remaining: number
}

/** Body of the 'garbage' fault: 200, claims JSON, is neither the documented JSON nor an error. */
export const GARBAGE_BODY = '<!-- garbage --> {"MediaContainer": [unterminated'

export class FaultList {
  private active: ActiveFault[] = []

  inject(fault: Fault): void {
    this.active.push({ fault, remaining: fault.times ?? Number.POSITIVE_INFINITY })
  }

  clear(): void {
    this.active = []
  }

  /** The first fault matching this request, consuming one of its `times`. */
  take(host: string, request: Request, pathname: string): Fault | undefined {
    for (const entry of this.active) {
      const { fault } = entry
      if (fault.host !== undefined && fault.host !== host) continue
      if (fault.method !== undefined && fault.method.toUpperCase() !== request.method) continue
      if (fault.path !== undefined && fault.path !== pathname) continue
      entry.remaining -= 1
      if (entry.remaining <= 0) this.active = this.active.filter((e) => e !== entry)
      return fault
    }
    return undefined
  }
}

/** Checks a fault received as JSON by POST /__fake/faults; returns an error message or the fault. */
export function parseFault(value: unknown): Fault | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'fault must be an object'
  const f = value as Record<string, unknown>
  for (const key of ['host', 'method', 'path'] as const) {
    if (f[key] !== undefined && typeof f[key] !== 'string') return `${key} must be a string`
  }
  if (f.times !== undefined && (typeof f.times !== 'number' || f.times < 1))
    return 'times must be a number >= 1'
  switch (f.kind) {
    case 'status':
      if (typeof f.status !== 'number' || f.status < 200 || f.status > 599) return 'status must be 200..599'
      if (f.headers !== undefined && (typeof f.headers !== 'object' || f.headers === null)) {
        return 'headers must be an object'
      }
      return f as Fault
    case 'delay':
      if (typeof f.ms !== 'number' || f.ms < 0) return 'ms must be a number >= 0'
      return f as Fault
    case 'network':
    case 'garbage':
      return f as Fault
    default:
      return "kind must be 'status', 'delay', 'network' or 'garbage'"
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The Response a 'status' fault answers with. */
export function statusFaultResponse(fault: Extract<FaultKind, { kind: 'status' }>): Response {
  const headers = new Headers(fault.headers)
  let body: string | null = null
  if (typeof fault.body === 'string') body = fault.body
  else if (fault.body !== undefined) {
    body = JSON.stringify(fault.body)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json; charset=utf-8')
  }
  const nullBody = fault.status === 204 || fault.status === 205 || fault.status === 304
  return new Response(nullBody ? null : body, { status: fault.status, headers })
}
