/**
 * Where config and file stores live. Its own module, with Node built-ins only: `authtray token`
 * loads it before asking the agent, and nothing else of the store.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `AUTHTRAY_HOME`, else the OS's per-user config directory. */
export function authtrayHome(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.AUTHTRAY_HOME) return env.AUTHTRAY_HOME;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'authtray');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'authtray');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'authtray');
}
