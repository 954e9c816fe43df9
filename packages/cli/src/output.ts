// Where text goes: data (the token, JSON, tables) to stdout; everything for people to stderr, coloured
// only on a terminal and never with NO_COLOR (https://no-color.org: any non-empty value).
/** The streams plex-auth writes to; tests of these helpers may pass their own. */
export interface Streams {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  stdin: NodeJS.ReadStream
  env: NodeJS.ProcessEnv
}

export function colorAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb'
}

type Paint = (text: string) => string

const style =
  (open: number, close: number): ((on: boolean) => Paint) =>
  (on) =>
  (text) =>
    on ? `\u001b[${open}m${text}\u001b[${close}m` : text

/** Output for one command run. */
export class Ui {
  readonly streams: Streams
  /** Colours on stderr. */
  readonly color: boolean
  /** stdin and stderr are terminals: prompts, spinners and the browser may be used. */
  readonly interactive: boolean
  readonly bold: Paint
  readonly dim: Paint
  readonly green: Paint
  readonly red: Paint
  readonly yellow: Paint
  readonly cyan: Paint

  constructor(streams: Streams) {
    this.streams = streams
    this.color = colorAllowed(streams.stderr, streams.env)
    this.interactive = streams.stdin.isTTY === true && streams.stderr.isTTY === true
    this.bold = style(1, 22)(this.color)
    this.dim = style(2, 22)(this.color)
    this.green = style(32, 39)(this.color)
    this.red = style(31, 39)(this.color)
    this.yellow = style(33, 39)(this.color)
    this.cyan = style(36, 39)(this.color)
  }

  /** A line for people (stderr). */
  say(text = ''): void {
    this.streams.stderr.write(`${text}\n`)
  }

  success(text: string): void {
    this.say(`${this.green('✓')} ${text}`)
  }

  warn(text: string): void {
    this.say(`${this.yellow('!')} ${text}`)
  }

  /** Data (stdout): the command's result, as it is. */
  data(text: string): void {
    this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  /** JSON data (stdout), two-space indented, one document per command. */
  json(value: unknown): void {
    this.data(JSON.stringify(value, null, 2))
  }
}

/** Resolves once everything written so far has left the process (pipes are asynchronous on macOS). */
export function flush(stream: NodeJS.WriteStream): Promise<void> {
  // A write's callback runs once it, and so everything before it, has been handed to the OS.
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve()
    else stream.write('', () => resolve())
  })
}
