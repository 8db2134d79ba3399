// The Electron entry point (bundled to dist/app/main.js): the real Electron objects into startApp.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, clipboard, ipcMain, Menu, nativeImage, Notification, powerMonitor, protocol, session, shell, Tray } from 'electron';
import ElectronStore from 'electron-store';
import { openAppLog } from '../log/app-log.js';
import { SANDBOX_CLIENT_ID, sandboxIssuer } from '../sandbox.js';
import { AppSettings, settingsStoreOptions, type AppSettingsData } from '../settings/app-settings.js';
import { startApp } from './lifecycle.js';

// dist/app/main.js → the folder holding dist/ and assets/ (the project, or app.asar when packaged).
const entry = fileURLToPath(import.meta.url);
const root = join(entry, '..', '..', '..');
startApp(
  { app, BrowserWindow, Tray, Menu, ipcMain, shell, clipboard, nativeImage, Notification, powerMonitor, defaultSession: () => session.defaultSession, protocol },
  {
    argv: process.argv,
    env: process.env,
    platform: process.platform,
    execPath: process.execPath,
    agent: true,
    sandbox: { issuer: sandboxIssuer(process.env), clientId: SANDBOX_CLIENT_ID },
    paths: {
      entry,
      preload: join(root, 'dist', 'app', 'preload.cjs'),
      page: join(root, 'dist', 'renderer', 'index.html'),
      trayIcon: join(root, 'assets', 'tray', process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'),
      trayAttentionIcon: join(root, 'assets', 'tray', process.platform === 'darwin' ? 'trayAttentionTemplate.png' : 'trayAttention.png'),
    },
    // Both after startApp has pointed userData at authtray's home: settings.json there, the log in the OS's log folder.
    openSettings: (electronApp) => new AppSettings(new ElectronStore<AppSettingsData>(settingsStoreOptions(electronApp.getPath('userData'), electronApp.getVersion()))),
    openLog: (electronApp) => openAppLog(electronApp.getPath('logs')),
  },
).catch((err: unknown) => {
  // Start-up fails before any credential is read: the message is safe to show, the object is not dumped.
  process.stderr.write(`authtray could not start: ${err instanceof Error ? `${err.name}: ${err.message}` : 'unknown failure'}\n`);
  app.quit();
});
