/**
 * Small stand-ins for the Electron objects main/app takes as arguments. Electron itself cannot run
 * here; these record what the shell asks of them and let a test play the user or the OS (emit
 * `close`, `will-navigate`, `second-instance`, call an IPC handler with a chosen sender).
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { Accounts } from '../../main/accounts.js';
import type { ElectronParts, StartOptions } from '../../main/app/lifecycle.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import type { trayMenuTemplate } from '../../main/app/tray.js';

// Electron's types, reached through ours: only main/app imports electron.
type BrowserWindowConstructorOptions = ConstructorParameters<ElectronParts['BrowserWindow']>[0];
export type MenuItemConstructorOptions = ReturnType<typeof trayMenuTemplate>[number];

type Handler = (event: unknown, payload: unknown) => Promise<unknown>;

export class FakeWebContents extends EventEmitter {
  readonly mainFrame: { url: string } = { url: '' };
  readonly sent: [string, unknown][] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  loading = true;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  isLoading() {
    return this.loading;
  }
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
  /** The page finished loading (what Electron reports after `loadURL`). */
  finishLoad(url: string) {
    this.mainFrame.url = url;
    this.loading = false;
    this.emit('did-finish-load');
  }
  /** Emits a cancellable event and says whether a listener prevented it. */
  cancellable(name: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(name, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static readonly created: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly options: BrowserWindowConstructorOptions;
  loaded: string | null = null;
  visible = false;
  focused = false;
  destroyed = false;
  constructor(options: BrowserWindowConstructorOptions) {
    super();
    this.options = options;
    FakeBrowserWindow.created.push(this);
  }
  loadURL(url: string) {
    this.loaded = url;
    return Promise.resolve();
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {
    this.focused = true;
  }
  restore() {}
  isMinimized() {
    return false;
  }
  isDestroyed() {
    return this.destroyed;
  }
  isVisible() {
    return this.visible;
  }
  bounds = { x: 10, y: 20, width: 0, height: 0 };
  getBounds() {
    return { ...this.bounds, width: this.bounds.width || (this.options.width ?? 0), height: this.bounds.height || (this.options.height ?? 0) };
  }
  /** The page loaded and was painted: what Electron reports after `loadURL`. */
  pageReady(url: string) {
    this.webContents.finishLoad(url);
    this.emit('ready-to-show');
  }
  /** The user closes the window; true when the app kept it (hid it) instead. */
  userCloses(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.emit('closed');
    }
    return prevented;
  }
}

export class FakeTray extends EventEmitter {
  static readonly created: FakeTray[] = [];
  menu: MenuItemConstructorOptions[] = [];
  tooltip = '';
  constructor(public image: unknown) {
    super();
    FakeTray.created.push(this);
  }
  setContextMenu(menu: MenuItemConstructorOptions[]) {
    this.menu = menu;
  }
  setToolTip(text: string) {
    this.tooltip = text;
  }
  setImage(image: unknown) {
    this.image = image;
  }
  /** The label → item map of the current menu. */
  item(label: string): MenuItemConstructorOptions {
    const found = this.menu.find((i) => i.label === label);
    if (!found) throw new Error(`no tray menu item "${label}" in ${this.menu.map((i) => i.label).join(', ')}`);
    return found;
  }
}

export class FakeSession {
  requestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void) | null = null;
  checkHandler: ((...args: unknown[]) => boolean) | null = null;
  setPermissionRequestHandler(handler: FakeSession['requestHandler']) {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['checkHandler']) {
    this.checkHandler = handler;
  }
}

/** A desktop notification as the app made it; `click()` plays the person clicking it. */
export class FakeNotification extends EventEmitter {
  static readonly shown: FakeNotification[] = [];
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show() {
    FakeNotification.shown.push(this);
  }
  click() {
    this.emit('click');
  }
}

/** `protocol`: which schemes were made privileged (and whether before ready), and each scheme's handler. */
export class FakeProtocol {
  readonly privileged: { scheme: string; privileges: unknown; beforeReady: boolean }[] = [];
  readonly handlers = new Map<string, (request: Request) => Promise<Response>>();
  constructor(private readonly isReady: () => boolean) {}
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: unknown }[]) {
    for (const s of schemes) this.privileged.push({ ...s, beforeReady: !this.isReady() });
  }
  handle(scheme: string, handler: (request: Request) => Promise<Response>) {
    this.handlers.set(scheme, handler);
  }
}

export interface FakeElectron {
  parts: ElectronParts;
  app: EventEmitter & {
    quitCalls: number;
    lock: boolean;
    loginItems: { openAtLogin: boolean; wasOpenedAtLogin: boolean; lastSet: unknown };
    dockHidden: boolean;
    /** What setName / setPath('userData') were given, and whether before the instance lock was asked. */
    paths: { name?: string; userData?: string; beforeLock?: boolean };
  };
  handlers: Map<string, Handler>;
  session: FakeSession;
  protocol: FakeProtocol;
  opened: string[];
  clipboard: string[];
  windows: FakeBrowserWindow[];
  trays: FakeTray[];
  notifications: FakeNotification[];
  /** Plays the OS: `resume` after sleep, `unlock-screen`. */
  powerMonitor: EventEmitter;
  /** What `shell.openPath` was asked to open (Show log). */
  openedPaths: string[];
}

export function fakeElectron(options: { lock?: boolean; isPackaged?: boolean } = {}): FakeElectron {
  FakeBrowserWindow.created.length = 0;
  FakeTray.created.length = 0;
  FakeNotification.shown.length = 0;
  const powerMonitor = new EventEmitter();
  const openedPaths: string[] = [];
  const paths: Record<string, string> = {};
  const app = Object.assign(new EventEmitter(), {
    quitCalls: 0,
    lock: options.lock ?? true,
    dockHidden: false,
    locked: false,
    paths: {} as { name?: string; userData?: string; beforeLock?: boolean },
    loginItems: { openAtLogin: false, wasOpenedAtLogin: false, lastSet: null as unknown },
  });
  const handlers = new Map<string, Handler>();
  const session = new FakeSession();
  let ready = false;
  const protocol = new FakeProtocol(() => ready);
  const opened: string[] = [];
  const clipboard: string[] = [];
  const appApi = {
    requestSingleInstanceLock: () => {
      app.locked = true;
      return app.lock;
    },
    setName: (name: string) => void (app.paths.name = name),
    setPath: (name: string, path: string) => {
      if (name !== 'userData') throw new Error(`unexpected setPath(${name})`);
      app.paths.userData = path;
      app.paths.beforeLock = !app.locked;
      paths.userData = path;
    },
    getPath: (name: string) => (name === 'logs' ? `${paths.userData}/logs` : paths[name]!),
    getVersion: () => '0.1.0',
    quit: () => {
      app.quitCalls++;
      app.emit('before-quit');
    },
    on: (event: string, listener: (...args: unknown[]) => void) => app.on(event, listener),
    whenReady: () => {
      ready = true;
      return Promise.resolve();
    },
    isPackaged: options.isPackaged ?? false,
    getLoginItemSettings: () => ({ openAtLogin: app.loginItems.openAtLogin, wasOpenedAtLogin: app.loginItems.wasOpenedAtLogin }),
    setLoginItemSettings: (settings: { openAtLogin: boolean }) => {
      app.loginItems.openAtLogin = settings.openAtLogin;
      app.loginItems.lastSet = settings;
    },
    dock: {
      hide: () => {
        app.dockHidden = true;
      },
    },
  };
  const parts = {
    app: appApi,
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    Menu: { buildFromTemplate: (template: MenuItemConstructorOptions[]) => template },
    ipcMain: { handle: (channel: string, handler: Handler) => void handlers.set(channel, handler) },
    shell: { openExternal: async (url: string) => void opened.push(url), openPath: async (path: string) => (openedPaths.push(path), '') },
    Notification: FakeNotification,
    powerMonitor,
    clipboard: { writeText: (text: string) => void clipboard.push(text) },
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    defaultSession: () => session,
    protocol,
  } as unknown as ElectronParts;
  return { parts, app, handlers, session, protocol, opened, clipboard, windows: FakeBrowserWindow.created, trays: FakeTray.created, notifications: FakeNotification.shown, powerMonitor, openedPaths };
}

/** Where the app under test thinks it is installed. */
export const APP_PAGE = '/opt/authtray/dist/renderer/index.html';

/** The start options of the app under test: linux, installed under /opt/authtray, AUTHTRAY_HOME=home, plain-text store, the sandbox offered. */
export function appStartOptions(home: string, issuer: string, extra: Partial<StartOptions> = {}): StartOptions {
  return {
    argv: ['/opt/authtray/authtray'],
    env: { AUTHTRAY_HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') },
    platform: 'linux',
    execPath: '/opt/authtray/authtray',
    paths: {
      entry: '/opt/authtray/dist/app/main.js',
      preload: '/opt/authtray/dist/app/preload.cjs',
      page: APP_PAGE,
      trayIcon: '/opt/authtray/assets/tray/tray.png',
      trayAttentionIcon: '/opt/authtray/assets/tray/trayAttention.png',
    },
    sandbox: { issuer, clientId: SANDBOX_CLIENTS.native.clientId },
    accounts: new Accounts({ home, store: 'plaintext' }),
    ...extra,
  };
}
