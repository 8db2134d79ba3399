// The preload's API (SECURITY #2, #3): one method per channel and one subscription per event, nothing else;
// subscribers get the payload, never the IPC event; every subscription can be undone.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../main/app/ipc.js';
import { API_NAME, createAuthtrayApi, exposeAuthtrayApi, ipcRendererTransport, type Transport } from '../../preload/index.js';
import type { AuthtrayApi } from '../../preload/api.js';

const METHODS = ['appInfo', 'profiles', 'startLink', 'finishLink', 'cancelLink', 'openLink', 'copyLink', 'unlink', 'settings', 'updateSettings', 'consent', 'answerConsent', 'revokeConsent', 'onStatusChanged', 'onCommand', 'onConsentChanged'];

/** Stands in for ipcRenderer: records invokes, and delivers events the way Electron does (event first). */
class FakeIpcRenderer extends EventEmitter {
  readonly invoked: [string, unknown][] = [];
  invoke(channel: string, payload: unknown) {
    this.invoked.push([channel, payload]);
    return Promise.resolve({ ok: true, value: channel });
  }
  send() {
    throw new Error('send must not be reachable');
  }
  /** Main sends an event: Electron calls listeners with (event, payload), and the event holds `sender` = ipcRenderer. */
  deliver(channel: string, payload: unknown) {
    this.emit(channel, { sender: this, senderId: 0, ports: [] }, payload);
  }
}

function exposed(): { api: AuthtrayApi; ipc: FakeIpcRenderer; names: string[] } {
  const ipc = new FakeIpcRenderer();
  const names: string[] = [];
  let api: AuthtrayApi | undefined;
  exposeAuthtrayApi({ exposeInMainWorld: (name: string, value: unknown) => ((api = value as AuthtrayApi), names.push(name)) } as never, ipc as never);
  return { api: api!, ipc, names };
}

/** Everything reachable from `root` through properties and prototypes, functions included. */
function reachable(root: unknown): Set<unknown> {
  const seen = new Set<unknown>();
  const walk = (value: unknown) => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
    seen.add(value);
    for (const key of Reflect.ownKeys(value as object)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && 'value' in descriptor) walk(descriptor.value);
    }
  };
  walk(root);
  return seen;
}

describe('the exposed API (SECURITY #2)', () => {
  it('is exposed under one name, with exactly the contract methods, frozen', () => {
    const { api, names } = exposed();
    expect(names).toEqual([API_NAME]);
    expect(Object.keys(api).sort()).toEqual([...METHODS].sort());
    expect(Object.isFrozen(api)).toBe(true);
    for (const name of ['invoke', 'send', 'sendSync', 'on', 'ipcRenderer', 'postMessage']) expect(name in api, name).toBe(false);
  });

  it('never reaches ipcRenderer or its invoke/send', () => {
    const { api, ipc } = exposed();
    const all = reachable(api);
    expect(all.has(ipc)).toBe(false);
    expect(all.has(ipc.invoke)).toBe(false);
    expect(all.has(ipc.send)).toBe(false);
  });

  it('each method calls its own channel with a fixed payload shape; the channels are the handlers’ channels', async () => {
    const { api, ipc } = exposed();
    await api.appInfo();
    await api.profiles();
    await api.startLink({ profile: 'p', provider: 'dropbox', clientId: 'id' });
    await api.finishLink({ profile: 'p', input: 'code' });
    await api.cancelLink('p');
    await api.openLink('p');
    await api.copyLink('p');
    await api.unlink('p');
    await api.settings();
    await api.updateSettings({ notifications: false });
    await api.consent();
    await api.answerConsent({ id: 'q', answer: 'deny' });
    await api.revokeConsent({ program: '/usr/bin/true', verified: true, profile: 'p' });
    expect(ipc.invoked).toEqual([
      ['app:info', null],
      ['profiles:list', null],
      ['link:start', { profile: 'p', provider: 'dropbox', clientId: 'id' }],
      ['link:finish', { profile: 'p', input: 'code' }],
      ['link:cancel', { profile: 'p' }],
      ['link:open', { profile: 'p' }],
      ['link:copy', { profile: 'p' }],
      ['account:unlink', { profile: 'p' }],
      ['settings:get', null],
      ['settings:set', { notifications: false }],
      ['consent:list', null],
      ['consent:answer', { id: 'q', answer: 'deny' }],
      ['consent:revoke', { program: '/usr/bin/true', verified: true, profile: 'p' }],
    ]);
    expect(new Set(ipc.invoked.map(([c]) => c))).toEqual(new Set(CHANNELS));
  });

  it('an arbitrary channel cannot be reached through a method', async () => {
    const { api, ipc } = exposed();
    await (api.cancelLink as (p: unknown) => Promise<unknown>)({ toString: () => 'x' });
    expect(ipc.invoked.every(([channel]) => (CHANNELS as readonly string[]).includes(channel))).toBe(true);
  });
});

describe('subscriptions (SECURITY #3)', () => {
  it('hand the payload only, never the event, and unsubscribe', () => {
    const { api, ipc } = exposed();
    const received: unknown[][] = [];
    const unsubscribe = api.onStatusChanged((...args: unknown[]) => received.push(args));
    ipc.deliver('status:changed', [{ profile: 'default' }]);
    expect(received).toEqual([[[{ profile: 'default' }]]]);
    expect(ipc.listenerCount('status:changed')).toBe(1);
    unsubscribe();
    expect(ipc.listenerCount('status:changed')).toBe(0);
    ipc.deliver('status:changed', []);
    expect(received).toHaveLength(1);
  });

  it('commands from the tray and consent questions arrive the same way', () => {
    const { api, ipc } = exposed();
    const received: unknown[][] = [];
    const unsubscribe = api.onCommand((...args: unknown[]) => received.push(args));
    ipc.deliver('ui:command', { command: 'link' });
    unsubscribe();
    ipc.deliver('ui:command', { command: 'link' });
    expect(received).toEqual([[{ command: 'link' }]]);
    const consent: unknown[][] = [];
    const off = api.onConsentChanged((...args: unknown[]) => consent.push(args));
    ipc.deliver('consent:changed', { questions: [], decisions: [] });
    off();
    ipc.deliver('consent:changed', { questions: [], decisions: [] });
    expect(consent).toEqual([[{ questions: [], decisions: [] }]]);
  });

  it('an unsubscribe stops delivery even if the transport is late to remove its listener', () => {
    let deliver: ((payload: unknown) => void) | null = null;
    const transport: Transport = {
      invoke: async () => null,
      subscribe: (_channel, listener) => {
        deliver = listener;
        return () => {}; // a transport that never removes anything
      },
    };
    const api = createAuthtrayApi(transport);
    const got: unknown[] = [];
    api.onStatusChanged((p) => got.push(p))();
    deliver!([]);
    expect(got).toEqual([]);
  });

  it('the Electron transport drops the event object', () => {
    const ipc = new FakeIpcRenderer();
    const got: unknown[][] = [];
    ipcRendererTransport(ipc as never).subscribe('status:changed', (...args: unknown[]) => got.push(args));
    ipc.deliver('status:changed', 'payload');
    expect(got).toEqual([['payload']]);
  });
});
