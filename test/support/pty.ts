/**
 * A person at a terminal: runs a command in a real pseudo-terminal (Debian's tmux, on a private
 * server socket), types and pastes into it, presses Enter, Ctrl-C, Ctrl-D, and reads the screen.
 * Each terminal is its own tmux server, killed in `close()`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram, runProgram } from './system.js';

export interface Terminal {
  /** Types text as it is (no key names), as a paste does. */
  paste(text: string): Promise<void>;
  /** Presses keys by tmux name: 'Enter', 'C-c', 'C-d'. */
  press(...keys: string[]): Promise<void>;
  /** What the screen shows now, lines joined (long lines are not wrapped). */
  screen(): Promise<string>;
  /** Resolves with the screen once `pattern` matches it; fails with the screen after `timeoutMs`. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Resolves with the command's exit code once it has ended. */
  exitCode(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Starts `command` (argv) in a fresh pseudo-terminal 200 columns wide, with `env` (as given, not
 * merged). Its exit code is written to a file when it ends, and the pane stays to be read.
 */
export async function openTerminal(command: string[], env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): Promise<Terminal> {
  const tmux = requireProgram('tmux', 'tmux');
  const dir = await mkdtemp(join(tmpdir(), 'authtray-pty-'));
  const socket = join(dir, 'tmux.sock');
  const codeFile = join(dir, 'exit-code');
  // The shell survives Ctrl-C (its trap runs a command, so the child keeps the default action).
  const script = `trap 'true' INT; ${command.map(shellQuote).join(' ')}; echo $? > ${shellQuote(codeFile)}; sleep 600`;
  const run = (args: string[]) => runProgram(tmux, ['-S', socket, '-f', '/dev/null', ...args], { env: { ...env, TMUX: '' } });
  const started = await run(['new-session', '-d', '-x', '400', '-y', '60', '-c', options.cwd ?? process.cwd(), 'sh', '-c', script]);
  if (started.code !== 0) throw new Error(`tmux new-session failed (${started.code}): ${started.stderr}`);

  const screen = async () => {
    const { stdout } = await run(['capture-pane', '-p', '-J', '-t', '0']);
    return stdout.replace(/\s+$/, '');
  };
  const poll = async <T>(what: string, get: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = await get();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the terminal shows:\n${await screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    async paste(text) {
      await run(['send-keys', '-t', '0', '-l', text]);
    },
    async press(...keys) {
      await run(['send-keys', '-t', '0', ...keys]);
    },
    screen,
    waitFor(pattern, timeoutMs = 15_000) {
      const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
      return poll(String(pattern), async () => {
        const s = await screen();
        return test(s) ? s : undefined;
      }, timeoutMs);
    },
    exitCode(timeoutMs = 15_000) {
      return poll('the command to end', async () => {
        const text = await readFile(codeFile, 'utf8').catch(() => '');
        return text.trim() === '' ? undefined : Number(text.trim());
      }, timeoutMs);
    },
    async close() {
      await run(['kill-server']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
