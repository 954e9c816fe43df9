// Opens a URL in the user's browser, best effort: a missing opener never fails a sign-in, the link is
// printed anyway.
import { spawn } from 'node:child_process'

/** The command that opens `url` here, or undefined when there is no browser to open (no display). */
export function browserCommand(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): [string, string[]] | undefined {
  // $BROWSER, as git, gh and xdg-utils honour it: the user's explicit choice, display or not.
  if (env.BROWSER) return [env.BROWSER, [url]]
  if (platform === 'darwin') return ['open', [url]]
  // Not `cmd /c start`: cmd would read the `&` of the link's fragment as a command separator.
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]]
  // Without a display, xdg-open falls back to a text browser that would take over this terminal.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined
  return ['xdg-open', [url]]
}

/** Starts the browser, detached; true when an opener was started (it may still fail on its own). */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const command = browserCommand(url, env)
  if (!command) return false
  try {
    const child = spawn(command[0], command[1], { stdio: 'ignore', detached: true })
    child.on('error', () => {})
    child.unref()
    return true
  } catch {
    return false
  }
}
