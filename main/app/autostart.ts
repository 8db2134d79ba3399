/**
 * Start at login. macOS and Windows keep the setting themselves (`app.setLoginItemSettings`); on
 * Linux it is an XDG autostart entry, `$XDG_CONFIG_HOME/autostart/authtray.desktop`. Either way the
 * tray's checkbox reads what the OS has, never a remembered flag.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'electron';
import { writeFileAtomic } from '../store/atomic.js';

/** The flag that starts authtray in the tray only, without its window. */
export const START_HIDDEN_FLAG = '--hidden';

export interface Autostart {
  isEnabled(): Promise<boolean>;
  setEnabled(enabled: boolean): Promise<void>;
}

/** macOS and Windows: the OS's login items. Windows compares the arguments, so the same ones are passed to both calls. */
export function loginItemAutostart(app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>, platform: NodeJS.Platform): Autostart {
  const args = platform === 'win32' ? [START_HIDDEN_FLAG] : [];
  return {
    async isEnabled() {
      return app.getLoginItemSettings(platform === 'win32' ? { args } : undefined).openAtLogin;
    },
    async setEnabled(enabled) {
      // macOS reports `wasOpenedAtLogin` instead of taking a flag (see startsHidden in lifecycle.ts).
      app.setLoginItemSettings(platform === 'win32' ? { openAtLogin: enabled, args } : { openAtLogin: enabled });
    },
  };
}

/**
 * Quotes one argument of a desktop entry's `Exec` key: double quotes, with `"`, `` ` ``, `$` and
 * `\` escaped by a backslash, then the string-level escapes of the file format (`\` doubled, `%`
 * doubled as field codes would take it). Newlines cannot be represented, so they are refused.
 */
export function quoteExecArg(arg: string): string {
  if (/[\n\r]/.test(arg)) throw new Error('A path with a line break cannot go in a desktop entry.');
  const quoted = `"${arg.replace(/["`$\\]/g, '\\$&')}"`;
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

export interface DesktopEntryOptions {
  /** The program and its arguments, unquoted. */
  command: readonly string[];
  name?: string;
  comment?: string;
  icon?: string;
}

/** The text of the autostart entry. */
export function autostartEntry(options: DesktopEntryOptions): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${options.name ?? 'authtray'}`,
    `Comment=${options.comment ?? 'Keeps your cloud-storage account linked'}`,
    `Exec=${options.command.map(quoteExecArg).join(' ')}`,
    `Icon=${options.icon ?? 'authtray'}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * What to start at login: the AppImage when running from one (`$APPIMAGE`: the executable inside
 * lives in a mount that is gone after logout), else the executable; from source, Electron with the
 * main script. Always with the start-hidden flag.
 */
export function autostartCommand(options: { env: NodeJS.ProcessEnv; execPath: string; isPackaged: boolean; entry: string }): string[] {
  if (options.env.APPIMAGE) return [options.env.APPIMAGE, START_HIDDEN_FLAG];
  return options.isPackaged ? [options.execPath, START_HIDDEN_FLAG] : [options.execPath, options.entry, START_HIDDEN_FLAG];
}

/** `$XDG_CONFIG_HOME/autostart`, default `~/.config/autostart`. */
export function xdgAutostartDir(env: NodeJS.ProcessEnv, home = homedir()): string {
  // The spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const configHome = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'autostart');
}

/** Linux: the XDG autostart entry. Enabled when the file is there and not switched off inside. */
export function xdgAutostart(options: { dir: string; command: readonly string[]; fileName?: string }): Autostart {
  const path = join(options.dir, options.fileName ?? 'authtray.desktop');
  return {
    async isEnabled() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        return false;
      }
      return !/^Hidden\s*=\s*true\s*$/m.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(text);
    },
    async setEnabled(enabled) {
      if (!enabled) return rm(path, { force: true });
      await mkdir(options.dir, { recursive: true });
      await writeFileAtomic(path, autostartEntry({ command: options.command }));
    },
  };
}
