// Start at login: the XDG autostart entry on Linux (real files in a temporary XDG_CONFIG_HOME), the
// OS login items elsewhere.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { autostartCommand, autostartEntry, loginItemAutostart, quoteExecArg, xdgAutostart, xdgAutostartDir } from '../../main/app/autostart.js';
import { fakeElectron } from '../support/electron-fakes.js';

let config: string;
beforeEach(async () => {
  config = await mkdtemp(join(tmpdir(), 'authtray-xdg-'));
});
afterEach(async () => {
  await rm(config, { recursive: true, force: true });
});

describe('the desktop entry', () => {
  it('starts the AppImage when there is one, hidden', () => {
    const command = autostartCommand({ env: { APPIMAGE: '/home/a/Apps/authtray 1.0.AppImage' }, execPath: '/tmp/.mount_x/authtray', isPackaged: true, entry: '/tmp/.mount_x/resources/app.asar/dist/app/main.js' });
    expect(command).toEqual(['/home/a/Apps/authtray 1.0.AppImage', '--hidden']);
    expect(autostartEntry({ command })).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.0',
        'Name=authtray',
        'Comment=Keeps your cloud-storage account linked',
        'Exec="/home/a/Apps/authtray 1.0.AppImage" "--hidden"',
        'Icon=authtray',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
  });

  it('starts the executable when packaged (deb), Electron with the main script from source', () => {
    expect(autostartCommand({ env: {}, execPath: '/opt/authtray/authtray', isPackaged: true, entry: '/opt/authtray/resources/app.asar/dist/app/main.js' })).toEqual(['/opt/authtray/authtray', '--hidden']);
    expect(autostartCommand({ env: {}, execPath: '/src/node_modules/electron/dist/electron', isPackaged: false, entry: '/src/dist/app/main.js' })).toEqual([
      '/src/node_modules/electron/dist/electron',
      '/src/dist/app/main.js',
      '--hidden',
    ]);
  });

  it('quotes Exec arguments as the Desktop Entry spec asks', () => {
    expect(quoteExecArg('/usr/bin/authtray')).toBe('"/usr/bin/authtray"');
    expect(quoteExecArg('/home/a/My Apps/x')).toBe('"/home/a/My Apps/x"');
    // Reserved characters get a backslash inside the quotes, and every backslash is then doubled.
    expect(quoteExecArg('/a/"b"')).toBe('"/a/\\\\"b\\\\""');
    expect(quoteExecArg('/a/$HOME/`x`')).toBe('"/a/\\\\$HOME/\\\\`x\\\\`"');
    expect(quoteExecArg('/a\\b')).toBe('"/a\\\\\\\\b"');
    expect(quoteExecArg('/a/100%')).toBe('"/a/100%%"');
    expect(() => quoteExecArg('/a\nExec=evil')).toThrow(/line break/);
  });
});

describe('XDG autostart', () => {
  it('lives in $XDG_CONFIG_HOME/autostart, else ~/.config/autostart (a relative value is ignored)', () => {
    expect(xdgAutostartDir({ XDG_CONFIG_HOME: '/x/config' }, '/home/a')).toBe('/x/config/autostart');
    expect(xdgAutostartDir({}, '/home/a')).toBe('/home/a/.config/autostart');
    expect(xdgAutostartDir({ XDG_CONFIG_HOME: 'relative' }, '/home/a')).toBe('/home/a/.config/autostart');
  });

  it('enabling writes the entry; the checkbox reads the file; disabling removes it', async () => {
    const dir = xdgAutostartDir({ XDG_CONFIG_HOME: config });
    const autostart = xdgAutostart({ dir, command: ['/opt/authtray/authtray', '--hidden'] });
    expect(await autostart.isEnabled()).toBe(false);
    await autostart.setEnabled(true);
    const path = join(config, 'autostart', 'authtray.desktop');
    expect(await readFile(path, 'utf8')).toContain('Exec="/opt/authtray/authtray" "--hidden"\n');
    expect((await stat(path)).mode & 0o077).toBe(0);
    expect(await autostart.isEnabled()).toBe(true);
    await autostart.setEnabled(false);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await autostart.isEnabled()).toBe(false);
    await autostart.setEnabled(false); // nothing there: still fine
  });

  it('an entry switched off by the desktop (Hidden=true or X-GNOME-Autostart-enabled=false) reads as off', async () => {
    const dir = join(config, 'autostart');
    const autostart = xdgAutostart({ dir, command: ['/x'] });
    await autostart.setEnabled(true);
    const path = join(dir, 'authtray.desktop');
    const text = await readFile(path, 'utf8');
    await writeFile(path, `${text}Hidden=true\n`);
    expect(await autostart.isEnabled()).toBe(false);
    await writeFile(path, text.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    expect(await autostart.isEnabled()).toBe(false);
  });
});

describe('login items (macOS, Windows)', () => {
  it('Windows: the hidden flag in args, the same args when reading', async () => {
    const fake = fakeElectron();
    const asked: unknown[] = [];
    const app = { ...fake.parts.app, getLoginItemSettings: (o?: unknown) => (asked.push(o), fake.parts.app.getLoginItemSettings()) };
    const autostart = loginItemAutostart(app as never, 'win32');
    await autostart.setEnabled(true);
    expect(fake.app.loginItems.lastSet).toEqual({ openAtLogin: true, args: ['--hidden'] });
    expect(await autostart.isEnabled()).toBe(true);
    expect(asked).toEqual([{ args: ['--hidden'] }]);
  });

  it('macOS: openAtLogin only; the OS says whether it started us at login', async () => {
    const fake = fakeElectron();
    const autostart = loginItemAutostart(fake.parts.app, 'darwin');
    await autostart.setEnabled(true);
    expect(fake.app.loginItems.lastSet).toEqual({ openAtLogin: true });
    expect(await autostart.isEnabled()).toBe(true);
    fake.app.loginItems.openAtLogin = false; // turned off in System Settings
    expect(await autostart.isEnabled()).toBe(false);
  });
});
