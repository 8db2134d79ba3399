/**
 * The window's API, built from an injected invoke/subscribe pair: in Electron the pair is
 * `ipcRenderer` (see electron.ts), in the browser tests a loopback bridge, so the same code is
 * tested for real. It exposes one method per channel and one subscription per event, nothing else: never
 * `ipcRenderer`, `send` or a generic invoke (SECURITY.md #2), and a subscriber gets the payload
 * only, never the IPC event that would leak `ipcRenderer` (#3).
 */
import type { ContextBridge, IpcRenderer, IpcRendererEvent } from 'electron';
import type { AuthtrayApi, Channel, EventChannel, Events, RequestOf, ResponseOf, Result } from './api.js';

/** How the API reaches main. */
export interface Transport {
  invoke(channel: Channel, payload: unknown): Promise<unknown>;
  /** Calls `listener` with each event's payload; returns the unsubscribe function. */
  subscribe(channel: EventChannel, listener: (payload: unknown) => void): () => void;
}

/** The global name the window finds the API under. */
export const API_NAME = 'authtray';

/** Builds `window.authtray` over a transport. */
export function createAuthtrayApi(transport: Transport): AuthtrayApi {
  const call = <C extends Channel>(channel: C, payload: RequestOf<C>) => transport.invoke(channel, payload) as Promise<Result<ResponseOf<C>>>;
  const on =
    <E extends EventChannel>(channel: E) =>
    (listener: (payload: Events[E]) => void): (() => void) => {
      let active = true;
      const unsubscribe = transport.subscribe(channel, (payload) => {
        if (active) listener(payload as Events[E]);
      });
      return () => {
        active = false;
        unsubscribe();
      };
    };
  const api: AuthtrayApi = {
    appInfo: (options) => call('app:info', options?.retry ? { retry: true } : null),
    profiles: () => call('profiles:list', null),
    startLink: (request) => call('link:start', request),
    finishLink: (request) => call('link:finish', request),
    cancelLink: (profile) => call('link:cancel', { profile }),
    openLink: (profile) => call('link:open', { profile }),
    copyLink: (profile) => call('link:copy', { profile }),
    unlink: (profile) => call('account:unlink', { profile }),
    settings: () => call('settings:get', null),
    updateSettings: (update) => call('settings:set', update),
    consent: () => call('consent:list', null),
    answerConsent: (request) => call('consent:answer', request),
    revokeConsent: (decision) => call('consent:revoke', decision),
    onStatusChanged: on('status:changed'),
    onCommand: on('ui:command'),
    onConsentChanged: on('consent:changed'),
  };
  return Object.freeze(api);
}

/** The Electron transport: `invoke` for requests, `on`/`removeListener` for events, the event object dropped. */
export function ipcRendererTransport(ipcRenderer: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): Transport {
  return {
    invoke: (channel, payload) => ipcRenderer.invoke(channel, payload),
    subscribe(channel, listener) {
      const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
      ipcRenderer.on(channel, handler);
      return () => {
        ipcRenderer.removeListener(channel, handler);
      };
    },
  };
}

/** Puts the API on the page's `window` through the context bridge (the page never sees Node or Electron). */
export function exposeAuthtrayApi(contextBridge: Pick<ContextBridge, 'exposeInMainWorld'>, ipcRenderer: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): void {
  contextBridge.exposeInMainWorld(API_NAME, createAuthtrayApi(ipcRendererTransport(ipcRenderer)));
}
