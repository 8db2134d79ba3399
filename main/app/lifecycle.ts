/**
 * The app's life: one instance (a second launch shows the first one's window), the tray, the window,
 * IPC, and the change feed that rebuilds the menu and updates the window. Electron's objects come in
 * as arguments (main.ts passes the real ones), so tests drive all of it with small fakes.
 */
import { dirname, join } from 'node:path';
import type { App, BrowserWindow, BrowserWindowConstructorOptions, Clipboard, IpcMain, Menu, NativeImage, Protocol, Session, Shell, Tray } from 'electron';
import { Accounts } from '../accounts.js';
import { authtrayHome } from '../store/config.js';
import type { ProfileView } from '../../preload/api.js';
import { autostartCommand, loginItemAutostart, START_HIDDEN_FLAG, xdgAutostart, xdgAutostartDir, type Autostart } from './autostart.js';
import { createIpcHandlers, registerIpc } from './ipc.js';
import { denyAllPermissions, lockNavigation } from './security.js';
import { APP_PAGE_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, appSchemeHandler } from './scheme.js';
import { AppService } from './service.js';
import { trayMenuTemplate, trayTooltip } from './tray.js';
import { MainWindow } from './window.js';

/** The parts of Electron the app uses. */
export interface ElectronParts {
  app: Pick<
    App,
    'requestSingleInstanceLock' | 'quit' | 'on' | 'whenReady' | 'isPackaged' | 'getLoginItemSettings' | 'setLoginItemSettings' | 'dock' | 'setName' | 'setPath'
  >;
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  Tray: new (image: NativeImage) => Tray;
  Menu: Pick<typeof Menu, 'buildFromTemplate'>;
  ipcMain: Pick<IpcMain, 'handle'>;
  shell: Pick<Shell, 'openExternal'>;
  clipboard: Pick<Clipboard, 'writeText'>;
  nativeImage: { createFromPath(path: string): NativeImage };
  defaultSession: () => Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>;
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
}

export interface AppPaths {
  /** The main script (dist/app/main.js): what Electron runs when started from source. */
  entry: string;
  /** The bundled preload script (CommonJS: sandboxed preloads cannot load ES modules). */
  preload: string;
  /** The built renderer's index.html: its folder is all that app:// serves. */
  page: string;
  /** The tray icon: a template image on macOS (named *Template.png), a colour one elsewhere. */
  trayIcon: string;
}

export interface StartOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  execPath: string;
  paths: AppPaths;
  /** Offered when run from source (not packaged). */
  sandbox: { issuer: string; clientId: string };
  /** Tests pass their own (a temporary home); the app uses `authtrayHome()`. */
  accounts?: Accounts;
  autostart?: Autostart;
}

export interface RunningApp {
  service: AppService;
  window: MainWindow;
  autostart: Autostart;
  /** Rebuilds the tray menu now (also done on every status change). */
  refreshTray(profiles?: readonly ProfileView[]): Promise<void>;
}

/** Started at login: tray only. macOS says so itself; elsewhere the autostart entry passes the flag. */
export function startsHidden(argv: readonly string[], platform: NodeJS.Platform, app: Pick<App, 'getLoginItemSettings'>): boolean {
  if (argv.includes(START_HIDDEN_FLAG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
}

/** True when a profile that was linking is now linked. */
export function finishedLinks(before: readonly ProfileView[], after: readonly ProfileView[]): boolean {
  const linking = new Set(before.filter((p) => p.pending).map((p) => p.profile));
  return after.some((p) => linking.has(p.profile) && p.linked && !p.pending);
}

/** The OS's start-at-login mechanism for this platform. */
export function autostartFor(electron: Pick<ElectronParts, 'app'>, options: Pick<StartOptions, 'platform' | 'env' | 'execPath' | 'paths'>): Autostart {
  if (options.platform === 'darwin' || options.platform === 'win32') return loginItemAutostart(electron.app, options.platform);
  const command = autostartCommand({ env: options.env, execPath: options.execPath, isPackaged: electron.app.isPackaged, entry: options.paths.entry });
  return xdgAutostart({ dir: xdgAutostartDir(options.env), command });
}

/**
 * Starts the app; resolves to null when another instance runs (it is asked to show its window, and
 * this one quits).
 */
export async function startApp(electron: ElectronParts, options: StartOptions): Promise<RunningApp | null> {
  const { app } = electron;
  // Chromium's own files (cache, local storage) go beside authtray's, not over them; the
  // single-instance lock lives there too, so this comes first.
  app.setName('authtray');
  app.setPath('userData', join(authtrayHome(options.env), 'electron'));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  let quitting = false;
  app.on('before-quit', () => {
    quitting = true;
  });
  // The tray keeps the app alive with no window; without a listener Electron would quit here.
  app.on('window-all-closed', () => {});
  // Every web contents, ours or not, stays where it is and opens nothing.
  app.on('web-contents-created', (_event, contents) => lockNavigation(contents));
  // The window's own scheme: privileges can only be given before ready.
  electron.protocol.registerSchemesAsPrivileged([{ ...APP_SCHEME_PRIVILEGES, privileges: { ...APP_SCHEME_PRIVILEGES.privileges } }]);

  await app.whenReady();
  electron.protocol.handle(APP_SCHEME, appSchemeHandler(dirname(options.paths.page)));
  if (options.platform === 'darwin') app.dock?.hide();
  denyAllPermissions(electron.defaultSession());

  const fromSource = !app.isPackaged;
  // The same store rules as the command: AUTHTRAY_STORE, else the keyring when it works, else plain text.
  const accounts = options.accounts ?? new Accounts({ home: authtrayHome(options.env), store: options.env.AUTHTRAY_STORE || undefined, env: options.env });
  const service = new AppService({
    accounts,
    sandbox: fromSource ? options.sandbox : null,
    allowLoopbackHttp: fromSource,
    openExternal: (url) => electron.shell.openExternal(url),
    copyText: (text) => electron.clipboard.writeText(text),
  });
  const window = new MainWindow(electron.BrowserWindow, { preload: options.paths.preload, page: APP_PAGE_URL, isQuitting: () => quitting });
  registerIpc(electron.ipcMain, createIpcHandlers(service), (contents) => window.owns(contents), () => window.pageUrl);

  const autostart = options.autostart ?? autostartFor(electron, options);
  const tray = new electron.Tray(electron.nativeImage.createFromPath(options.paths.trayIcon));
  let latest: readonly ProfileView[] = [];
  const refreshTray = async (profiles?: readonly ProfileView[]) => {
    if (profiles) latest = profiles;
    const startAtLogin = await autostart.isEnabled().catch(() => false);
    tray.setToolTip(trayTooltip(latest));
    // Linux shows a tray menu only when one is set; set it everywhere, the same way.
    tray.setContextMenu(electron.Menu.buildFromTemplate(trayMenuTemplate(latest, startAtLogin, actions)));
  };
  const actions = {
    open: () => window.show(),
    link: () => {
      window.show();
      window.send('ui:command', { command: 'link' });
    },
    unlink: (profile: string) => {
      window.show();
      window.send('ui:command', { command: 'unlink', profile });
    },
    setStartAtLogin: (enabled: boolean) => {
      void autostart
        .setEnabled(enabled)
        .catch(() => {})
        .then(() => refreshTray());
    },
    quit: () => app.quit(),
  };
  if (options.platform === 'win32') tray.on('click', () => window.show());

  service.onChange((profiles) => {
    // A link finished in the browser: bring the window forward so the person sees the account.
    if (finishedLinks(latest, profiles)) window.show();
    window.send('status:changed', profiles);
    void refreshTray(profiles);
  });
  app.on('second-instance', () => window.show());
  app.on('activate', () => window.show());

  await refreshTray(await service.profiles().catch(() => []));
  if (!startsHidden(options.argv, options.platform, app)) window.show();
  return { service, window, autostart, refreshTray };
}
