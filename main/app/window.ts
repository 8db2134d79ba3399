/**
 * The one window: created hardened, shown on demand, hidden (not closed) when the user closes it,
 * so a link in progress and the window's state survive; destroyed only when the app quits.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents } from 'electron';
import type { EventChannel, Events } from '../../preload/api.js';
import { lockNavigation, secureWebPreferences } from './security.js';

/** The window's options: small, calm, hidden until its page is ready, with the hardened preferences. */
export function mainWindowOptions(preload: string, bounds: { width: number; height: number; x?: number | undefined; y?: number | undefined } = { width: 480, height: 680 }): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    minWidth: 380,
    minHeight: 480,
    show: false,
    title: 'authtray',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preload),
  };
}

type BrowserWindowClass = new (options: BrowserWindowConstructorOptions) => BrowserWindow;

export interface MainWindowOptions {
  preload: string;
  /** The page's URL (app://authtray/index.html: scheme.ts serves it). */
  page: string;
  /** True once the user chose Quit: closing then really closes. */
  isQuitting: () => boolean;
  /** The size and place to open at (the app's settings remember them). */
  bounds?: () => { width: number; height: number; x?: number | undefined; y?: number | undefined };
  /** Told the size and place when the window is closed (hidden) or quits. */
  onBounds?: (bounds: { width: number; height: number; x: number; y: number }) => void;
}

export class MainWindow {
  readonly #BrowserWindow: BrowserWindowClass;
  readonly #options: MainWindowOptions;
  #window: BrowserWindow | null = null;

  constructor(BrowserWindowClass: BrowserWindowClass, options: MainWindowOptions) {
    this.#BrowserWindow = BrowserWindowClass;
    this.#options = options;
  }

  /** The page's URL: IPC senders must be on it. */
  get pageUrl(): string {
    return this.#options.page;
  }

  /** Creates the window on first use, then shows and focuses it. */
  show(): void {
    const win = this.#window && !this.#window.isDestroyed() ? this.#window : this.#create();
    if (win.isMinimized()) win.restore();
    if (win.webContents.isLoading()) win.once('ready-to-show', () => focus(win));
    else focus(win);
  }

  #create(): BrowserWindow {
    const win = new this.#BrowserWindow(mainWindowOptions(this.#options.preload, this.#options.bounds?.()));
    lockNavigation(win.webContents);
    win.on('close', (event) => {
      this.#options.onBounds?.(win.getBounds());
      if (this.#options.isQuitting()) return;
      event.preventDefault();
      win.hide();
    });
    win.on('closed', () => {
      if (this.#window === win) this.#window = null;
    });
    void win.loadURL(this.#options.page);
    this.#window = win;
    return win;
  }

  /** True while the window is on screen. */
  isVisible(): boolean {
    return this.#window !== null && !this.#window.isDestroyed() && this.#window.isVisible();
  }

  /** True for our window's contents: IPC from anything else is refused. */
  owns(contents: WebContents): boolean {
    return this.#window !== null && !this.#window.isDestroyed() && this.#window.webContents === contents;
  }

  /** Sends an event to the window, if it exists. */
  send<E extends EventChannel>(channel: E, payload: Events[E]): void {
    if (!this.#window || this.#window.isDestroyed()) return;
    const contents = this.#window.webContents;
    // A window still loading its page would drop the event: deliver it once the page is there.
    if (contents.isLoading()) contents.once('did-finish-load', () => contents.send(channel, payload));
    else contents.send(channel, payload);
  }
}

function focus(win: BrowserWindow): void {
  win.show();
  win.focus();
}
