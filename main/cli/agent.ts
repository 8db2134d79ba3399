/**
 * `authtray agent` (the headless agent, in the foreground until SIGTERM / SIGINT) and what other
 * commands say about a running agent (`status`). The agent itself is main/agent/.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { Accounts } from '../accounts.js';
import { askAgent } from '../agent/client.js';
import { parseDuration } from '../agent/duration.js';
import { agentRuntimeDir, agentSocketPath } from '../agent/paths.js';
import type { AgentInfo } from '../agent/wire.js';
import { UsageError } from '../errors.js';
import type { CliIO } from './io.js';
import { line } from './text.js';

export const AGENT_USAGE = `Usage: authtray agent [--token-file PROFILE[=PATH]]... [--allow EXECUTABLE]... [--store STORE]
  Serves fresh access tokens to the programs of your user over a private socket (AUTHTRAY_AGENT_SOCK
  overrides where), until SIGTERM or Ctrl-C. authtray token asks it first; --no-agent goes without.`;

/** `--min-valid 10m` in ms (undefined when not given). */
export function minValidOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === null) throw new UsageError(`--min-valid takes a duration up to 24h such as 90s, 10m or 1h, not "${value.slice(0, 20)}".`);
  return ms;
}

/** Runs the agent until `stopped` settles (default: SIGTERM or SIGINT). */
export async function agentCommand(args: string[], io: CliIO, open: (store: string | undefined) => Accounts, stop = signals()): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { 'token-file': { type: 'string', multiple: true }, allow: { type: 'string', multiple: true }, store: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${AGENT_USAGE}`);
  }
  const allow = values.allow?.map((exe) => {
    if (!exe.startsWith('/')) throw new UsageError(`--allow takes the absolute path of an executable (as in /proc/PID/exe), not "${exe.slice(0, 80)}".`);
    return resolve(exe);
  });
  if (allow && process.platform !== 'linux') throw new UsageError('--allow needs Linux, where the agent can see which program connects; elsewhere it serves every process of your user.');
  // The server side loads only here: other commands, and `status`, need just the small client.
  const [{ Agent }, { parseTokenFileOption }] = await Promise.all([import('../agent/agent.js'), import('../agent/token-files.js')]);
  const tokenFiles = (values['token-file'] ?? []).map((v) => parseTokenFileOption(v, `${agentRuntimeDir(io.env)}/tokens`));
  const accounts = open(values.store);
  const socket = agentSocketPath(io.env, accounts.home);
  const agent = await Agent.start({ accounts, socket, allow, tokenFiles, log: (m) => line(io.stderr, `authtray agent: ${m}`) });
  try {
    line(io.stdout, `AUTHTRAY_AGENT_SOCK=${socket}`);
    line(io.stderr, `authtray agent: serving ${allow ? allow.join(', ') : 'every process of your user'} at ${socket} (pid ${process.pid}). Stop it with Ctrl-C.`);
    await stop.stopped;
  } finally {
    await agent.close();
    stop.release();
  }
  line(io.stderr, 'authtray agent: stopped.');
  return 0;
}

/**
 * SIGTERM / SIGINT stop the agent. The handlers stay until it has stopped, so that a second
 * signal during shutdown does not kill the agent before it removed its socket and token files.
 */
function signals(): { stopped: Promise<void>; release(): void } {
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return {
    stopped,
    release: () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    },
  };
}

/** What `status` says about the agent for `profile`. */
export interface AgentNote {
  socket: string;
  pid: number;
  /** The agent holds a session for the profile. */
  serving: boolean;
  served: number;
  tokenFile: string | null;
}

/** The running agent of this home, as `status` reports it; null when none answers. */
export async function agentNote(env: NodeJS.ProcessEnv, home: string, profile: string): Promise<AgentNote | null> {
  const reply = await askAgent({ op: 'status', home: resolve(home) }, { env, home });
  if (!reply.served || !('agent' in reply.answer)) return null;
  const agent: AgentInfo = reply.answer.agent;
  const mine = agent.profiles[profile];
  return { socket: agent.socket, pid: agent.pid, serving: mine?.session ?? false, served: mine?.served ?? 0, tokenFile: mine?.tokenFile ?? null };
}

export function describeAgent(note: AgentNote): string {
  const serving = note.serving ? `serving this profile (${note.served} token${note.served === 1 ? '' : 's'} handed out)` : 'not serving this profile yet';
  return `  Agent:   running (pid ${note.pid}) at ${note.socket}, ${serving}${note.tokenFile ? `; token file ${note.tokenFile}` : ''}`;
}
