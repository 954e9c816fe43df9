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

/**
 * Why `login` cannot open a browser for the person at this terminal, or undefined when it can. The PIN
 * sign-in then shows a short code to type at plex.tv/link from any device instead of a link to click.
 */
export function noBrowserReason(
  env: NodeJS.ProcessEnv,
  interactive: boolean,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (!interactive) return 'not a terminal'
  if (env.CI) return 'CI'
  // Over SSH the opener would start a browser on the remote machine's screen (macOS `open`, a forwarded or
  // stale DISPLAY), not in front of the person typing; an explicit $BROWSER is still honoured.
  if (!env.BROWSER && (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY)) return 'SSH session'
  if (!browserCommand('about:blank', env, platform)) return 'no display'
  return undefined
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
