/**
 * A stand-in for the `electron` module, for starting the bundled main process under Node: it
 * records what main asks for, calls one IPC channel as the window would, prints a JSON report on
 * stdout and exits. Only the calls authtray makes are here.
 */
import { EventEmitter } from 'node:events';

const report: Record<string, unknown> = { handled: [] as string[], windows: [] as unknown[] };
const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
const appEvents = new EventEmitter();
const schemeHandlers = new Map<string, (request: Request) => Promise<Response>>();
let ready = false;

class WebContents extends EventEmitter {
  readonly mainFrame = { url: '' };
  setWindowOpenHandler() {}
  isLoading() {
    return false;
  }
  send() {}
}

export class BrowserWindow extends EventEmitter {
  readonly webContents = new WebContents();
  constructor(options: unknown) {
    super();
    (report.windows as unknown[]).push(options);
  }
  async loadURL(url: string) {
    report.loaded = url;
    this.webContents.mainFrame.url = url;
    // Started: fetch the page through the app's scheme and ask something over IPC, as the window would; then report.
    setTimeout(async () => {
      const handler = schemeHandlers.get(new URL(url).protocol.slice(0, -1));
      const page = await handler!(new Request(url));
      const escape = await handler!(new Request(new URL('/%2e%2e/%2e%2e/package.json', url)));
      report.page = { status: page.status, type: page.headers.get('content-type'), csp: page.headers.get('content-security-policy'), body: await page.text(), escapeStatus: escape.status };
      report.appInfo = await handlers.get('app:info')!({ sender: this.webContents, senderFrame: this.webContents.mainFrame }, null);
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(0);
    }, 300);
  }
  isDestroyed() {
    return false;
  }
  isMinimized() {
    return false;
  }
  show() {
    report.shown = true;
  }
  focus() {}
  hide() {}
  restore() {}
}

export class Tray {
  constructor(image: { path: string }) {
    report.trayIcon = image.path;
  }
  setContextMenu(menu: { label?: string }[]) {
    report.menu = menu.map((i) => i.label ?? '---');
  }
  setToolTip() {}
  setImage(image: { path: string }) {
    report.trayIcon = image.path;
  }
  on() {}
}

export class Notification {
  constructor(readonly options: { title: string; body: string }) {}
  on() {}
  show() {
    ((report.notifications ??= []) as unknown[]).push(this.options);
  }
}
export const powerMonitor = { on: () => {} };
const paths: Record<string, string> = {};

export const app = {
  requestSingleInstanceLock: () => true,
  quit: () => process.exit(3),
  on: (event: string, listener: (...args: unknown[]) => void) => appEvents.on(event, listener),
  whenReady: () => {
    ready = true;
    return Promise.resolve();
  },
  isPackaged: false,
  setName: (name: string) => void (report.name = name),
  setPath: (name: string, path: string) => {
    report[`path:${name}`] = path;
    paths[name] = path;
  },
  // As Electron on Linux: the logs beside userData.
  getPath: (name: string) => (name === 'logs' ? `${paths.userData}/logs` : paths[name]!),
  getVersion: () => '0.1.0',
  getLoginItemSettings: () => ({ openAtLogin: false, wasOpenedAtLogin: false }),
  setLoginItemSettings: () => {},
  dock: undefined,
};
export const Menu = { buildFromTemplate: (template: unknown) => template };
export const ipcMain = {
  on: () => {},
  handle: (channel: string, handler: (event: unknown, payload: unknown) => Promise<unknown>) => {
    handlers.set(channel, handler);
    (report.handled as string[]).push(channel);
  },
};
export const shell = { openExternal: async () => {}, openPath: async () => '' };
export const clipboard = { writeText: () => {} };
export const nativeImage = { createFromPath: (path: string) => ({ path }) };
export const session = {
  defaultSession: {
    setPermissionRequestHandler: () => void (report.permissionsDenied = true),
    setPermissionCheckHandler: () => {},
  },
};
export const protocol = {
  registerSchemesAsPrivileged: (schemes: { scheme: string; privileges: unknown }[]) => void (report.privileged = { schemes, beforeReady: !ready }),
  handle: (scheme: string, handler: (request: Request) => Promise<Response>) => void schemeHandlers.set(scheme, handler),
};

// electron-store imports the module's default export.
export default { app, ipcMain, shell, BrowserWindow, Tray, Menu, clipboard, nativeImage, session, Notification, powerMonitor, protocol };
