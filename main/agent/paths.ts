/**
 * Where the agent's socket is, one per user and authtray home: AUTHTRAY_AGENT_SOCK, else
 * `$XDG_RUNTIME_DIR/authtray/agent.sock` (macOS: the per-user `$TMPDIR`; elsewhere a per-user
 * directory in the temp directory), `agent-<hash of home>.sock` for a home other than the default.
 * On Windows a named pipe per user and home. Small on purpose: `authtray token` loads it first.
 */
import { homedir, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { authtrayHome } from '../store/home.js';

/** FNV-1a, 32 bits, hex: a short stable name for a home (no crypto: it is slow to load). */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The per-user directory the socket goes in when AUTHTRAY_AGENT_SOCK does not say. */
export function agentRuntimeDir(env: NodeJS.ProcessEnv, platform = process.platform): string {
  if (env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR.startsWith('/')) return join(env.XDG_RUNTIME_DIR, 'authtray');
  if (platform === 'darwin') return join(tmpdir(), 'authtray'); // $TMPDIR is per user there
  const uid = typeof process.getuid === 'function' ? process.getuid() : userInfo().username;
  return join(tmpdir(), `authtray-${uid}`);
}

export function agentSocketPath(env: NodeJS.ProcessEnv, home: string, platform = process.platform): string {
  if (env.AUTHTRAY_AGENT_SOCK) return resolve(env.AUTHTRAY_AGENT_SOCK);
  const own = resolve(home) === resolve(authtrayHome({ ...env, AUTHTRAY_HOME: undefined }, platform));
  const name = own ? 'agent' : `agent-${shortHash(resolve(home))}`;
  if (platform === 'win32') return `\\\\.\\pipe\\authtray-${shortHash(`${userInfo().username}@${homedir()}`)}-${name}`;
  return join(agentRuntimeDir(env, platform), `${name}.sock`);
}

/** True for Windows named pipes, which have no directory or file mode to check. */
export const isPipe = (path: string) => path.startsWith('\\\\.\\pipe\\');
