// A one-line spinner on stderr, for terminals only. Not @clack/prompts' spinner: that one puts stdin in raw
// mode and answers Ctrl-C with process.exit(0), and a cancelled sign-in must exit 130.
import type { Ui } from './output.ts'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const HIDE_CURSOR = '\u001b[?25l'
const SHOW_CURSOR = '\u001b[?25h'
const CLEAR_LINE = '\r\u001b[2K'

export interface Spinner {
  /** False when nothing is drawn (not a terminal, NO_COLOR, TERM=dumb): say the message some other way. */
  readonly active: boolean
  message(text: string): void
  /** Clears the line and shows the cursor again. */
  stop(): void
}

/**
 * Starts a spinner when stderr is a terminal that takes colours (so never with NO_COLOR or TERM=dumb: an
 * animation is as unwelcome there as colour); else a no-op whose messages are not printed.
 */
export function startSpinner(ui: Ui, text: string): Spinner {
  const stderr = ui.streams.stderr
  if (!ui.color) return { active: false, message() {}, stop() {} }
  let current = text
  let frame = 0
  const draw = (): void => {
    stderr.write(`${CLEAR_LINE}${ui.cyan(FRAMES[frame % FRAMES.length]!)} ${current}`)
    frame++
  }
  // Whatever ends the process, the cursor comes back.
  const restore = (): void => {
    stderr.write(`${CLEAR_LINE}${SHOW_CURSOR}`)
  }
  stderr.write(HIDE_CURSOR)
  draw()
  const timer = setInterval(draw, 80)
  process.once('exit', restore)
  let stopped = false
  return {
    active: true,
    message(next) {
      current = next
    },
    stop() {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      process.removeListener('exit', restore)
      restore()
    },
  }
}
