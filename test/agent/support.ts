/** Helpers for the agent tests: a private runtime dir, a linked profile, the agent through the real CLI. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts } from '../../main/accounts.js';
import { askAgent } from '../../main/agent/client.js';
import type { Answer } from '../../main/agent/wire.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import type { Sandbox } from '../sandbox/provider.js';
import { BIN, cliEnv, startCli, type CliRun } from '../support/cli.js';
import { sandboxSettings } from '../support/fixtures.js';
import { linkByPaste } from '../support/login.js';
import { requireProgram, runProgram } from '../support/system.js';

/** A fresh directory standing in for $XDG_RUNTIME_DIR (removed by the returned function). */
export async function runtimeDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'authtray-run-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function linkProfile(sandbox: Sandbox, home: string, profile: string): Promise<void> {
  await linkByPaste(new Accounts({ home, store: 'plaintext' }), profile, sandboxSettings(sandbox.issuer), profile);
}

export const credentials = (home: string) => new PlaintextCredentialStore(join(home, 'credentials'));

/** Moves the stored access token's expiry to `msFromNow`. */
export async function expireIn(home: string, profile: string, msFromNow: number): Promise<string> {
  const store = credentials(home);
  const record = (await store.load(profile))!;
  await store.save(profile, { ...record, expiresAt: Date.now() + msFromNow });
  return record.accessToken;
}

export interface RunningAgent {
  run: CliRun;
  socket: string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; stderr: string }>;
}

/** `authtray agent ARGS` with the environment given; resolves once it serves. */
export async function startAgent(env: NodeJS.ProcessEnv, args: string[] = []): Promise<RunningAgent> {
  const run = startCli(['agent', ...args], env);
  const socket = (await run.waitForLine(/^AUTHTRAY_AGENT_SOCK=/)).slice('AUTHTRAY_AGENT_SOCK='.length);
  return {
    run,
    socket,
    async stop(signal = 'SIGTERM') {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill(signal);
      return run.result;
    },
  };
}

export const agentEnv = (home: string, runtime: string, extra: Record<string, string | undefined> = {}) => cliEnv(home, { XDG_RUNTIME_DIR: runtime, AUTHTRAY_AGENT_SOCK: undefined, ...extra });

/** One request to the agent at `socket`, as any client would send it. */
export async function ask(socket: string, home: string, request: Record<string, unknown>): Promise<Answer> {
  const reply = await askAgent(request, { env: { AUTHTRAY_AGENT_SOCK: socket }, home, answerTimeoutMs: 60_000, connectTimeoutMs: 10_000 });
  if (!reply.served) throw new Error(`the agent at ${socket} did not answer${reply.warning ? `: ${reply.warning}` : ''}`);
  return reply.answer;
}

export async function servedCount(socket: string, home: string, profile: string): Promise<number> {
  const answer = await ask(socket, home, { op: 'status' });
  if (!('agent' in answer)) throw new Error('no status');
  return answer.agent.profiles[profile]?.served ?? 0;
}

/**
 * `authtray agent` in a real pseudo-terminal (Debian's tmux, a private server): what a person sees,
 * and Ctrl-C as they press it. Its exit code is written to a file when it ends.
 */
export async function agentInTerminal(env: NodeJS.ProcessEnv): Promise<{ screen(): Promise<string>; waitFor(text: string): Promise<string>; press(key: string): Promise<void>; exitCode(): Promise<number>; close(): Promise<void> }> {
  const tmux = requireProgram('tmux', 'tmux');
  const dir = await mkdtemp(join(tmpdir(), 'authtray-pty-'));
  const socket = join(dir, 'tmux.sock');
  const codeFile = join(dir, 'exit-code');
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `trap 'true' INT; ${[process.execPath, BIN, 'agent'].map(quote).join(' ')}; echo $? > ${quote(codeFile)}; sleep 600`;
  const run = (args: string[]) => runProgram(tmux, ['-S', socket, '-f', '/dev/null', ...args], { env: { ...env, TMUX: '' } });
  const started = await run(['new-session', '-d', '-x', '300', '-y', '40', 'sh', '-c', script]);
  if (started.code !== 0) throw new Error(`tmux new-session failed: ${started.stderr}`);
  const screen = async () => (await run(['capture-pane', '-p', '-J', '-t', '0'])).stdout.replace(/\s+$/, '');
  const poll = async <T>(what: string, get: () => Promise<T | undefined>): Promise<T> => {
    const end = Date.now() + 20_000;
    for (;;) {
      const value = await get();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the terminal shows:\n${await screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    screen,
    waitFor: (text) => poll(JSON.stringify(text), async () => ((await screen()).includes(text) ? screen() : undefined)),
    press: async (key) => void (await run(['send-keys', '-t', '0', key])),
    exitCode: () => poll('the agent to exit', async () => {
      const text = await readFile(codeFile, 'utf8').catch(() => '');
      return text.trim() === '' ? undefined : Number(text.trim());
    }),
    close: async () => {
      await run(['kill-server']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
