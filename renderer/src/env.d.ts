import type { AuthtrayApi } from '../../preload/api.js';

declare global {
  interface Window {
    /** Put there by the preload (Electron) or the test bridge (browser tests). */
    readonly authtray: AuthtrayApi;
  }
}
