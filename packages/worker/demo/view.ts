// What the demo page shows: element lookup, the status line, the error callout, and the account, server
// and result panels. Text goes in with textContent only, never as HTML, so nothing the worker or Plex
// sends can become markup.
import {
  type AccessResult,
  isWorkerProblemError,
  type SourceConnectionResult,
  type TransientTokenResult,
  type WorkerHomeUser,
  type WorkerServer,
  type WorkerSessionEntry,
  type WorkerUser,
} from '@plex-auth/worker/client'

/** The element with this id, checked to be a `type`: an id renamed in index.html fails at start-up. */
export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const element = document.getElementById(id)
  if (!(element instanceof type)) throw new Error(`#${id} is missing from the page or is not a ${type.name}`)
  return element
}

const errorBox = byId('error', HTMLDivElement)
const statusLine = byId('status', HTMLParagraphElement)

/** Puts `text` in the polite live region, so screen readers announce each step. */
export function say(text: string): void {
  statusLine.textContent = text
}

/** Shows a failed call in the alert region (announced at once): title, detail, wait, and each invalid field. */
export function showError(error: unknown): void {
  const title = document.createElement('strong')
  const detail = document.createElement('span')
  if (isWorkerProblemError(error)) {
    title.textContent = `${error.title}. `
    detail.textContent = error.detail + (error.retryAfter ? ` Try again in ${error.retryAfter} s.` : '')
  } else {
    title.textContent = 'Something went wrong. '
    detail.textContent = error instanceof Error ? error.message : String(error)
  }
  errorBox.replaceChildren(title, detail)
  if (isWorkerProblemError(error) && error.issues?.length) {
    const list = document.createElement('ul')
    for (const issue of error.issues) {
      const item = document.createElement('li')
      item.textContent = `${issue.path || 'request'}: ${issue.message}`
      list.append(item)
    }
    errorBox.append(list)
  }
  errorBox.hidden = false
}

export function clearError(): void {
  errorBox.hidden = true
  errorBox.replaceChildren()
}

/** Marks the form's fields named in a problem's issues with aria-invalid; clears the others. */
export function markInvalidFields(form: HTMLFormElement, error: unknown): void {
  const invalid = new Set(isWorkerProblemError(error) ? (error.issues ?? []).map((issue) => issue.path) : [])
  for (const input of form.querySelectorAll('input')) {
    if (invalid.has(input.name)) input.setAttribute('aria-invalid', 'true')
    else input.removeAttribute('aria-invalid')
  }
}

const thumb = byId('account-thumb', HTMLImageElement)
// An avatar that cannot load (plex.tv unreachable, as with the offline fake) leaves the initial showing.
thumb.addEventListener('error', () => {
  thumb.hidden = true
})

export function showAccount(user: WorkerUser): void {
  const name = user.username || user.title
  byId('account-username', HTMLElement).textContent = name
  // A managed Home user has no username and no email.
  byId('account-email', HTMLElement).textContent = user.email ?? 'None (a managed Home user)'
  byId('account-initial', HTMLSpanElement).textContent = (name || user.email || '?').slice(0, 1).toUpperCase()
  if (typeof user.thumb === 'string' && /^https:\/\//.test(user.thumb)) {
    thumb.src = user.thumb
    thumb.hidden = false
  } else {
    thumb.hidden = true
    thumb.removeAttribute('src')
  }
}

/** The user's access (GET /v1/access): their role and the servers it comes from, or why it is unknown. */
export function showAccessRole(access: AccessResult | undefined): void {
  const out = byId('account-access', HTMLElement)
  if (!access) {
    out.textContent = 'Unknown (Plex could not be asked)'
    return
  }
  const names = access.servers
    .filter((s) => s.role === access.role)
    .map((s) => s.name)
    .join(', ')
  const text = {
    owner: `Owner of ${names}`,
    home: `Plex Home member on ${names}`,
    friend: `Friend: ${names} shared with you`,
    none: 'No Plex server',
  }
  out.textContent = text[access.role]
}

export function clearAccount(): void {
  byId('account-access', HTMLElement).textContent = ''
  thumb.hidden = true
  thumb.removeAttribute('src')
}

const serverList = byId('server-list', HTMLDivElement)

/** One radio per server (the first checked); `onChange` runs when another is picked. */
export function renderServers(servers: WorkerServer[], onChange: () => void): void {
  serverList.replaceChildren()
  servers.forEach((server, index) => {
    const input = document.createElement('input')
    input.type = 'radio'
    input.name = 'server'
    input.id = `server-${index}`
    input.value = server.clientIdentifier
    input.checked = index === 0
    input.addEventListener('change', onChange)
    const name = document.createElement('span')
    name.className = 'choice-name'
    name.textContent = server.name
    const meta = document.createElement('span')
    meta.className = 'choice-meta'
    const count = server.connections.length
    meta.textContent = `${server.owned ? 'Owned by you' : 'Shared with you'} · ${count} ${count === 1 ? 'connection' : 'connections'}`
    const label = document.createElement('label')
    label.htmlFor = input.id
    // The space keeps the accessible name readable ("Alice's Plex Owned by you · 2 connections").
    label.append(name, ' ', meta)
    const row = document.createElement('div')
    row.className = 'choice'
    row.append(input, label)
    serverList.append(row)
  })
}

const homeList = byId('home-list', HTMLDivElement)

/**
 * One radio per Home user, the one signed in disabled and marked; `pinless` says which protected users
 * need no PIN from this session (the admin, when switching back). `onChange` runs when one is picked.
 */
export function renderHomeUsers(
  users: WorkerHomeUser[],
  current: string | undefined,
  pinless: (user: WorkerHomeUser) => boolean,
  onChange: () => void,
): void {
  homeList.replaceChildren()
  users.forEach((user, index) => {
    const input = document.createElement('input')
    input.type = 'radio'
    input.name = 'home-user'
    input.id = `home-user-${index}`
    input.value = user.uuid
    input.disabled = user.uuid === current
    input.addEventListener('change', onChange)
    const name = document.createElement('span')
    name.className = 'choice-name'
    name.textContent = user.title
    const meta = document.createElement('span')
    meta.className = 'choice-meta'
    const facts = [user.admin ? 'Admin' : 'Managed user']
    if (user.restricted) facts.push('restricted')
    if (user.uuid === current) facts.push('signed in now')
    else if (user.protected) facts.push(pinless(user) ? 'no PIN needed to switch back' : 'needs a PIN')
    meta.textContent = facts.join(' · ')
    const label = document.createElement('label')
    label.htmlFor = input.id
    label.append(name, ' ', meta)
    const row = document.createElement('div')
    row.className = 'choice'
    row.append(input, label)
    homeList.append(row)
  })
}

/** The uuid of the Home user picked, if any. */
export function selectedHomeUser(): string | undefined {
  return homeList.querySelector<HTMLInputElement>('input[name=home-user]:checked:not(:disabled)')?.value
}

export function clearHomeUsers(): void {
  homeList.replaceChildren()
}

export function selectedServer(): string | undefined {
  const checked = serverList.querySelector<HTMLInputElement>('input[name=server]:checked')
  return checked?.value
}

export function clearServers(): void {
  serverList.replaceChildren()
}

export function showTransientToken(answer: TransientTokenResult): void {
  byId('transient-token', HTMLOutputElement).textContent = answer.token
  byId('transient-expires', HTMLSpanElement).textContent =
    new Date(answer.expiresAt).toLocaleString() + (answer.cached ? ' (cached)' : '')
}

export function clearTransientToken(): void {
  byId('transient-token', HTMLOutputElement).textContent = ''
}

/** Name, identifier and connections of a source. Its `accessToken`, if any, is only mentioned, never shown. */
export function showSourceConnection(info: SourceConnectionResult): void {
  byId('connection-name', HTMLElement).textContent = info.name || '(no name)'
  byId('connection-id', HTMLElement).textContent = info.clientIdentifier || '(none)'
  byId('connection-token-note', HTMLParagraphElement).hidden = !info.accessToken
  const list = byId('connection-list', HTMLUListElement)
  list.replaceChildren()
  for (const connection of info.connections) {
    const item = document.createElement('li')
    const address = document.createElement('span')
    address.className = 'mono'
    address.textContent = connection.uri || connection.address || '?'
    const kind = document.createElement('span')
    kind.className = 'tag'
    kind.textContent = connection.relay ? 'relay' : connection.local ? 'local' : 'remote'
    item.append(address, ' ', kind)
    list.append(item)
  }
}

export function clearSourceConnection(): void {
  byId('connection-list', HTMLUListElement).replaceChildren()
}

const sessionList = byId('session-list', HTMLUListElement)
const METHODS: Record<WorkerSessionEntry['method'], string> = {
  password: 'Password',
  pin: 'Plex sign-in',
  token: 'Plex token',
}
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A `<time>` for an ISO timestamp, read as a local date and time. */
function timeOf(iso: string): HTMLTimeElement {
  const time = document.createElement('time')
  time.dateTime = iso
  const date = new Date(iso)
  time.textContent = Number.isNaN(date.getTime()) ? iso : dateFormat.format(date)
  return time
}

/**
 * One row per session of the account: device, "This device" for the one asking, how and when it signed
 * in, when it was last used, and an End button whose accessible name says which session it ends.
 */
export function renderSessions(
  sessions: WorkerSessionEntry[],
  onEnd: (session: WorkerSessionEntry, button: HTMLButtonElement) => void,
): void {
  sessionList.replaceChildren()
  // This device first, then the others as the worker lists them.
  for (const session of [...sessions].sort((a, b) => Number(b.current) - Number(a.current))) {
    const name = document.createElement('span')
    name.className = 'session-name'
    name.textContent = session.deviceName
    if (session.current) {
      const pill = document.createElement('span')
      pill.className = 'pill pill-accent'
      pill.textContent = 'This device'
      name.append(' ', pill)
    }
    const meta = document.createElement('span')
    meta.className = 'session-meta'
    meta.append(
      `${METHODS[session.method] ?? session.method} · signed in `,
      timeOf(session.createdAt),
      ' · last used ',
      timeOf(session.lastUsedAt),
    )
    const info = document.createElement('div')
    info.className = 'session-info'
    info.append(name, meta)
    const end = document.createElement('button')
    end.type = 'button'
    end.className = 'button'
    end.textContent = 'End'
    const when = dateFormat.format(new Date(session.createdAt))
    end.setAttribute(
      'aria-label',
      `End session: ${session.deviceName}${session.current ? ' (this device)' : ''}, signed in ${when}`,
    )
    end.addEventListener('click', () => onEnd(session, end))
    const item = document.createElement('li')
    item.append(info, end)
    sessionList.append(item)
  }
  sessionList.hidden = sessions.length === 0
}

export function clearSessions(): void {
  sessionList.replaceChildren()
  sessionList.hidden = true
}
