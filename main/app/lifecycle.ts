/**
 * The app's life: one instance (a second launch shows the first one's window), the tray, the window,
 * IPC, and the change feed that rebuilds the menu and updates the window. Electron's objects come in
 * as arguments (main.ts passes the real ones), so tests drive all of it with small fakes.
 */
import { dirname, join } from 'node:path';
import type { App, BrowserWindow, BrowserWindowConstructorOptions, Clipboard, IpcMain, Menu, NativeImage, PowerMonitor, Protocol, Session, Shell, Tray } from 'electron';
import { Accounts } from '../accounts.js';
import type { ProfileSettings } from '../model.js';
import { consentNotice, Notifier, type Notice } from '../health/notices.js';
import { LinkWatch, type Clock } from '../health/watch.js';
import { silentLog, type AppLog } from '../log/app-log.js';
import { AppSettings, memorySettings } from '../settings/app-settings.js';
import type { Agent } from '../agent/agent.js';
import { Consent } from '../agent/consent.js';
import { ErrorCodes, AuthtrayError } from '../errors.js';
import { authtrayHome } from '../store/config.js';
import type { ProfileView } from '../../preload/api.js';
import { autostartCommand, loginItemAutostart, START_HIDDEN_FLAG, xdgAutostart, xdgAutostartDir, type Autostart } from './autostart.js';
import { createIpcHandlers, registerIpc } from './ipc.js';
import { denyAllPermissions, lockNavigation } from './security.js';
import { APP_PAGE_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, appSchemeHandler } from './scheme.js';
import { AppService } from './service.js';
import { needsPerson, trayMenuTemplate, trayTooltip } from './tray.js';
import { MainWindow } from './window.js';

/** The parts of Electron the app uses. */
export interface ElectronParts {
  app: Pick<
    App,
    | 'requestSingleInstanceLock'
    | 'quit'
    | 'on'
    | 'whenReady'
    | 'isPackaged'
    | 'getLoginItemSettings'
    | 'setLoginItemSettings'
    | 'dock'
    | 'setName'
    | 'setPath'
    | 'getPath'
    | 'getVersion'
  >;
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  Tray: new (image: NativeImage) => Tray;
  Menu: Pick<typeof Menu, 'buildFromTemplate'>;
  ipcMain: Pick<IpcMain, 'handle'>;
  shell: Pick<Shell, 'openExternal' | 'openPath'>;
  clipboard: Pick<Clipboard, 'writeText'>;
  nativeImage: { createFromPath(path: string): NativeImage };
  defaultSession: () => Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>;
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
  /** Desktop notifications (Electron's `Notification`). */
  Notification: new (options: { title: string; body: string }) => { show(): void; on(event: 'click', listener: () => void): unknown };
  /** Sleep and wake: a resume or an unlocked screen plans the keep-alive again. */
  powerMonitor: Pick<PowerMonitor, 'on'>;
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
  /** Its attention variant, shown while any link needs the person. */
  trayAttentionIcon: string;
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
  /** Opens the app's settings once Electron's paths are set (main.ts: electron-store in userData); absent: the defaults. */
  openSettings?: (app: Pick<App, 'getPath' | 'getVersion'>) => AppSettings;
  /** Opens the support log (main.ts: in `app.getPath('logs')`); absent: none. */
  openLog?: (app: Pick<App, 'getPath' | 'getVersion'>) => AppLog;
  /** Tests: short idle-lifetime rules, quick retries, a fake clock. */
  watch?: { idleLifetime?: (settings: ProfileSettings) => number | null; retryDelaysMs?: number[]; clock?: Clock };
  /**
   * Runs the agent (main/agent/) while the app runs, so programs get their tokens from the app's
   * sessions. A headless `authtray agent` already serving this home is left to serve.
   */
  agent?: boolean;
  /** How long the agent's consent question waits for the person (default 2 minutes; tests: less). */
  consentTimeoutMs?: number;
}

export interface RunningApp {
  service: AppService;
  watch: LinkWatch;
  window: MainWindow;
  autostart: Autostart;
  /** The agent the app runs; null when it runs none (not asked, or another agent serves this home). */
  agent: Agent | null;
  /** Its consent questions and decisions; null without an agent. */
  consent: Consent | null;
  /** Rebuilds the tray menu now (also done on every status change). */
  refreshTray(profiles?: readonly ProfileView[]): Promise<void>;
}

/** Started at login: tray only. macOS says so itself; elsewhere the autostart entry passes the flag. */
export function startsHidden(argv: readonly string[], platform: NodeJS.Platform, app: Pick<App, 'getLoginItemSettings'>): boolean {
  if (argv.includes(START_HIDDEN_FLAG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
}

/** The profiles that were linking and are now linked. */
export function finishedLinks(before: readonly ProfileView[], after: readonly ProfileView[]): ProfileView[] {
  const linking = new Set(before.filter((p) => p.pending).map((p) => p.profile));
  return after.filter((p) => linking.has(p.profile) && p.linked && !p.pending);
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
  const log = options.openLog?.(app) ?? silentLog;
  const settings = openSettings(app, options, log);
  log.info('start', { version: app.getVersion(), platform: options.platform, packaged: app.isPackaged, settings: settings.path || 'defaults' });
  // The same store rules as the command: AUTHTRAY_STORE, else the keyring when it works, else plain text.
  const accounts = options.accounts ?? new Accounts({ home: authtrayHome(options.env), store: options.env.AUTHTRAY_STORE || undefined, env: options.env });
  accounts.onStatusChanged((profile) => log.info('status-changed', { profile }));
  const watch = new LinkWatch({
    accounts,
    keepAlive: () => settings.keepAlive,
    log: (event) => (event.event === 'renewal-failed' ? log.warn(event.event, event) : log.info(event.event, event)),
    ...options.watch,
  });
  watch.onChange((change) => (change.to && change.to !== 'linked' ? log.warn('health', change) : log.info('health', change)));
  // The agent's programs are asked for in the window; the answers "Always" are kept in the settings.
  const consent: Consent | null = options.agent
    ? new Consent({
        decisions: settings.consentDecisions,
        timeoutMs: options.consentTimeoutMs,
        account: (profile): Promise<string | null> => service.accountLabel(profile),
      })
    : null;
  const service: AppService = new AppService({
    consent: consent ?? undefined,
    accounts,
    sandbox: fromSource ? options.sandbox : null,
    allowLoopbackHttp: fromSource,
    openExternal: (url) => electron.shell.openExternal(url),
    copyText: (text) => electron.clipboard.writeText(text),
    watch,
    settings,
  });
  const window = new MainWindow(electron.BrowserWindow, {
    preload: options.paths.preload,
    page: APP_PAGE_URL,
    isQuitting: () => quitting,
    bounds: () => settings.window,
    onBounds: (bounds) => settings.saveWindow(bounds),
  });
  const agent = consent ? await startAgent(accounts, options.env, consent) : null;
  app.on('before-quit', () => {
    consent?.close();
    void agent?.close();
  });
  service.onConsentChanged((view) => window.send('consent:changed', view));
  consent?.onAsked((question) => {
    log.info('consent-asked', { profile: question.profile, program: question.program, verified: question.verified });
    window.show();
    if (!settings.notifications) return;
    const notification = new electron.Notification(consentNotice(question));
    notification.on('click', () => window.show());
    notification.show();
  });
  registerIpc(electron.ipcMain, createIpcHandlers(service), (contents) => window.owns(contents), () => window.pageUrl);

  /** Opens the window on one account (a notification or a marked menu item was clicked). */
  const showProfile = (profile: string) => {
    window.show();
    window.send('ui:command', { command: 'show', profile });
  };
  const notifier = new Notifier({
    enabled: () => settings.notifications,
    show: (notice: Notice) => {
      const notification = new electron.Notification({ title: notice.title, body: notice.body });
      notification.on('click', () => showProfile(notice.profile));
      notification.show();
      log.info('notified', { profile: notice.profile, title: notice.title });
    },
  });

  const autostart = options.autostart ?? autostartFor(electron, options);
  const icon = (attention: boolean) => electron.nativeImage.createFromPath(attention ? options.paths.trayAttentionIcon : options.paths.trayIcon);
  const tray = new electron.Tray(icon(false));
  let attention = false;
  let latest: readonly ProfileView[] = [];
  const refreshTray = async (profiles?: readonly ProfileView[]) => {
    if (profiles) latest = profiles;
    const startAtLogin = await autostart.isEnabled().catch(() => false);
    const needed = latest.some(needsPerson);
    if (needed !== attention) {
      attention = needed;
      tray.setImage(icon(needed));
    }
    tray.setToolTip(trayTooltip(latest));
    // Linux shows a tray menu only when one is set; set it everywhere, the same way.
    tray.setContextMenu(electron.Menu.buildFromTemplate(trayMenuTemplate(latest, startAtLogin, actions)));
  };
  const command = (ui: { command: 'link' } | { command: 'unlink'; profile: string } | { command: 'settings' }) => {
    window.show();
    window.send('ui:command', ui);
  };
  const actions = {
    open: () => window.show(),
    link: () => command({ command: 'link' }),
    unlink: (profile: string) => command({ command: 'unlink', profile }),
    show: showProfile,
    settings: () => command({ command: 'settings' }),
    showLog: () => {
      if (log.path) void electron.shell.openPath(log.path);
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
    // A link finished in the browser: told if the window was hidden, and the window comes forward to show the account.
    const finished = finishedLinks(latest, profiles);
    const hidden = !window.isVisible();
    for (const view of finished) {
      log.info('linked', { profile: view.profile, provider: view.provider });
      notifier.linked(view, !hidden);
    }
    if (finished.length) window.show();
    notifier.update(profiles);
    window.send('status:changed', profiles);
    void refreshTray(profiles);
  });
  settings.onChange((view) => {
    log.info('settings', { notifications: view.notifications, keepAlive: view.keepAlive, startHidden: view.startHidden });
    void watch.replan();
  });
  app.on('second-instance', () => window.show());
  app.on('activate', () => window.show());
  app.on('before-quit', () => watch.stop());
  // Timers do not count sleep, and the network may be back: every link checked and planned again.
  for (const event of ['resume', 'unlock-screen'] as const) {
    electron.powerMonitor.on(event as 'resume', () => {
      log.info('replan', { reason: event });
      void watch.replan();
    });
  }

  const first = await service.profiles().catch(() => []);
  notifier.update(first);
  await refreshTray(first);
  const hidden = startsHidden(options.argv, options.platform, app) && (options.platform === 'darwin' || settings.startHidden);
  if (!hidden) window.show();
  // The first health check renews expired tokens: it runs behind the window, and its findings arrive as changes.
  void watch.start().catch((err: unknown) => log.error('watch-failed', { error: err }));
  return { service, watch, window, autostart, agent, consent, refreshTray };
}

/** The settings file; one that cannot be opened is reported and the app runs on the defaults. */
function openSettings(app: Pick<App, 'getPath' | 'getVersion'>, options: StartOptions, log: AppLog): AppSettings {
  try {
    if (options.openSettings) return options.openSettings(app);
  } catch (err) {
    log.error('settings-unreadable', { error: err });
  }
  return new AppSettings(memorySettings());
}

/** The app's agent; null when another one serves this home, or it cannot start (said on stderr). */
async function startAgent(accounts: Accounts, env: NodeJS.ProcessEnv, consent: Consent): Promise<Agent | null> {
  const [{ Agent }, { agentSocketPath }] = await Promise.all([import('../agent/agent.js'), import('../agent/paths.js')]);
  const log = (message: string) => process.stderr.write(`authtray agent: ${message}\n`);
  try {
    return await Agent.start({ accounts, socket: agentSocketPath(env, accounts.home), log, consent });
  } catch (err) {
    if (err instanceof AuthtrayError && err.code === ErrorCodes.AGENT_RUNNING) return null;
    log(`not started: ${err instanceof AuthtrayError ? err.message : 'unexpected failure'}`);
    return null;
  }
}
