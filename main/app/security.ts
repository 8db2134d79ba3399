/**
 * The window's security rules (SECURITY.md, "Windows and IPC"), each a small function over the
 * Electron objects it needs, so tests hold them with fakes: the webPreferences, who may call IPC,
 * which pages the system browser may open, no navigation, no new windows, no permissions.
 */
import type { Session, WebContents, WebPreferences } from 'electron';

/** #1: the page gets no Node, no Electron, its own JavaScript world, Chromium's sandbox and same-origin rules. */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Who sent an IPC message, as far as the handler can tell. */
export interface SenderInfo {
  /** The sending WebContents belongs to one of our windows. */
  fromOurWindow: boolean;
  /** The message came from that window's main frame, not a sub-frame. */
  isMainFrame: boolean;
  /** The URL of the sending frame; null when the frame is gone. */
  url: string | null;
}

/**
 * The sender's URL is our own page: the same scheme and host (app://authtray; the browser tests'
 * bridge serves it over http://127.0.0.1:PORT), or for a `file:` page the same file (file URLs have
 * no useful origin). Node gives a custom scheme's URL the origin "null", so scheme and host are compared.
 */
export function isOwnPage(url: string | null, appUrl: string): boolean {
  if (!url) return false;
  let sender: URL;
  let app: URL;
  try {
    sender = new URL(url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (app.protocol === 'file:') return sender.protocol === 'file:' && sender.host === app.host && sender.pathname === app.pathname;
  return app.host !== '' && sender.protocol === app.protocol && sender.host === app.host;
}

/** #4: one of our windows, its main frame, our own page. */
export function isTrustedSender(sender: SenderInfo, appUrl: string): boolean {
  return sender.fromOurWindow && sender.isMainFrame && isOwnPage(sender.url, appUrl);
}

/**
 * #8: the system browser opens only https pages on the provider's authorization host; plain http
 * only for 127.0.0.1 (the sandbox) and only when `allowLoopbackHttp` (run from source). No user
 * info, no other scheme, no other host.
 */
export function isAllowedExternalUrl(url: string, authorizationHost: string, options: { allowLoopbackHttp: boolean }): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username || parsed.password) return false;
  if (parsed.host !== authorizationHost.toLowerCase()) return false;
  if (parsed.protocol === 'https:') return true;
  return options.allowLoopbackHttp && parsed.protocol === 'http:' && parsed.hostname === '127.0.0.1';
}

/** #7, #13: the window (and any frame in it) never navigates away from our page and never opens another window. */
export function lockNavigation(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** #9: every permission request is denied, and every permission check says no. */
export function denyAllPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
