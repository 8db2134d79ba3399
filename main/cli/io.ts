/** Terminal plumbing for the CLI: the streams it talks to, reading lines and hidden input, the browser. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Interrupted } from './text.js';

export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Opens a URL in the system browser; false when it could not. */
  openBrowser: (url: string) => Promise<boolean>;
  /** Aborted on Ctrl-C (SIGINT): whatever waits stops, cleans up and ends with exit 130. */
  interrupt?: AbortSignal;
}

/** Stops reading `input` so the process can exit when the answer came another way. */
function release(input: Readable): void {
  // readline leaves a paused TTY/pipe referenced; let the process end.
  if ('unref' in input && typeof (input as { unref?: () => void }).unref === 'function') (input as unknown as { unref: () => void }).unref();
  input.pause();
}

/** Reads one line from `input`; null at end of input. `cancel()` stops reading. */
export function readLine(input: Readable): { line: Promise<string | null>; cancel: () => void } {
  const lines = readLines(input);
  const line = (async () => {
    for await (const text of lines.lines) return text;
    return null;
  })();
  return { line, cancel: lines.cancel };
}

/** Every line of `input`, in order, until it ends (Ctrl-D on a terminal) or `cancel()`. */
export function readLines(input: Readable): { lines: AsyncIterable<string>; cancel: () => void } {
  const rl = createInterface({ input, terminal: false });
  const iterator = rl[Symbol.asyncIterator]();
  return {
    lines: { [Symbol.asyncIterator]: () => iterator },
    cancel: () => {
      rl.close();
      release(input);
    },
  };
}

/**
 * Asks on stderr and reads a line from a terminal without echoing it (for secrets). Ctrl-C rejects
 * with Interrupted; Ctrl-D on an empty line answers "".
 */
export function readHidden(io: CliIO, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    let muted = false;
    let settled = false;
    const end = (then: () => void) => {
      if (settled) return;
      settled = true;
      rl.close();
      release(io.stdin);
      io.stderr.write('\n');
      then();
    };
    // readline echoes through _writeToOutput; muting it after the prompt hides what is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!muted) io.stderr.write(s);
    };
    rl.question(prompt, (answer) => end(() => resolve(answer)));
    muted = true;
    // In raw mode Ctrl-C is a key, not a signal: readline reports it here.
    rl.once('SIGINT', () => end(() => reject(new Interrupted())));
    rl.once('close', () => end(() => resolve('')));
  });
}

/** True when a browser could show a window: any desktop on macOS/Windows, a display on Linux. */
export function hasDisplay(env: NodeJS.ProcessEnv, platform = process.platform): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** Opens http(s) URLs with the platform's opener, detached; never through a shell. */
export function openSystemBrowser(url: string, platform = process.platform): boolean {
  if (!/^https?:\/\//i.test(url)) return false;
  const [command, args] =
    platform === 'darwin' ? ['open', [url]] : platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
