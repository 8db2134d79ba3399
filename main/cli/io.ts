/** Terminal plumbing for the CLI: the streams it talks to, reading lines and hidden input, the browser. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Opens a URL in the system browser; false when it could not. */
  openBrowser: (url: string) => Promise<boolean>;
}

/**
 * Reads one line from `input`; null at end of input. `cancel()` stops reading so the process can
 * exit when the answer came another way (the loopback redirect).
 */
export function readLine(input: Readable): { line: Promise<string | null>; cancel: () => void } {
  const rl = createInterface({ input, terminal: false });
  let done = false;
  const line = new Promise<string | null>((resolve) => {
    rl.once('line', (text) => {
      done = true;
      rl.close();
      resolve(text);
    });
    rl.once('close', () => {
      if (!done) resolve(null);
    });
  });
  return {
    line,
    cancel: () => {
      rl.close();
      // readline leaves a paused TTY/pipe referenced; let the process end.
      if ('unref' in input && typeof (input as { unref?: () => void }).unref === 'function') (input as unknown as { unref: () => void }).unref();
      input.pause();
    },
  };
}

/** Asks on stderr and reads a line from a terminal without echoing it (for secrets). */
export function readHidden(io: CliIO, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    let muted = false;
    // readline echoes through _writeToOutput; muting it after the prompt hides what is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!muted) io.stderr.write(s);
    };
    rl.question(prompt, (answer) => {
      rl.close();
      io.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
    rl.once('SIGINT', () => {
      rl.close();
      reject(new Error('cancelled'));
    });
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
