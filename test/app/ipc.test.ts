// The IPC handlers over the real app service, accounts service and sandbox: sender checks (SECURITY
// #4), payload parsing (#5), no secret in any answer or event (#10), and what the window relies on.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { CHANNELS, createIpcHandlers, dispatch, registerIpc, senderInfoOf } from '../../main/app/ipc.js';
import type { SenderInfo } from '../../main/app/security.js';
import { AppService } from '../../main/app/service.js';
import { providerOptions } from '../../main/link-request.js';
import type { Channel, ProfileView, Result } from '../../preload/api.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { approve } from '../support/login.js';
import { sandboxAppService, storedRecord, useSandbox, waitFor } from '../support/fixtures.js';

const fx = useSandbox();
const APP_URL = 'file:///opt/authtray/resources/app.asar/dist/renderer/index.html';
const OURS: SenderInfo = { fromOurWindow: true, isMainFrame: true, url: APP_URL };

function setup(options: { allowLoopbackHttp?: boolean } = {}) {
  /** Every answer and event, as it would cross IPC: scanned for secrets. */
  const wire: string[] = [];
  const events: ProfileView[][] = [];
  const accounts = new Accounts({ home: fx.home, store: 'plaintext' });
  const { service, opened, copied } = sandboxAppService(accounts, fx.sandbox.issuer, { allowLoopbackHttp: options.allowLoopbackHttp, changeDelayMs: 5 });
  service.onChange((profiles) => {
    events.push(profiles);
    wire.push(JSON.stringify(profiles));
  });
  const handlers = createIpcHandlers(service);
  async function call<T = unknown>(channel: string, payload: unknown, sender: SenderInfo = OURS): Promise<Result<T>> {
    const result = await dispatch(handlers, channel, sender, payload, APP_URL);
    wire.push(JSON.stringify(result));
    return result as Result<T>;
  }
  const ok = async <T,>(channel: string, payload: unknown): Promise<T> => {
    const result = await call<T>(channel, payload);
    if (!result.ok) throw new Error(`${channel} failed: ${result.error.code} ${result.error.message}`);
    return result.value;
  };
  return { accounts, service, handlers, call, ok, opened, copied, wire, events };
}

/** A valid payload for each channel, for the sender tests. */
const VALID: Record<Channel, unknown> = {
  'app:info': null,
  'profiles:list': null,
  'link:start': { profile: 'default', provider: 'sandbox' },
  'link:finish': { profile: 'default', input: 'code-123' },
  'link:cancel': { profile: 'default' },
  'link:open': { profile: 'default' },
  'link:copy': { profile: 'default' },
  'account:unlink': { profile: 'default' },
  'settings:get': null,
  'settings:set': { notifications: false },
  'consent:list': null,
  'consent:answer': { id: '00000000-0000-4000-8000-000000000000', answer: 'once' },
  'consent:revoke': { program: '/usr/bin/true', verified: true, profile: 'default' },
};

const FOREIGN: Record<string, SenderInfo> = {
  'another window': { ...OURS, fromOurWindow: false },
  'a sub-frame': { ...OURS, isMainFrame: false },
  'another page': { ...OURS, url: 'file:///tmp/evil.html' },
  'a web origin': { ...OURS, url: 'https://evil.example/index.html' },
  'a destroyed frame': { ...OURS, url: null },
  'a data URL': { ...OURS, url: 'data:text/html,<p>hi</p>' },
};

describe('sender checks (SECURITY #4)', () => {
  it.each(Object.entries(FOREIGN))('refuses %s on every channel, before doing anything', async (_name, sender) => {
    const { call, accounts } = setup();
    for (const channel of CHANNELS) {
      const result = await call(channel, VALID[channel], sender);
      expect(result, channel).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringMatching(/did not come from the authtray window/) } });
    }
    expect(await accounts.pendingLinks()).toEqual([]);
  });

  it('a foreign sender cannot unlink; our window can', async () => {
    const { call, ok, accounts } = setup();
    const pending = await ok<{ url: string }>('link:start', { profile: 'default', provider: 'sandbox' });
    await approve(pending.url, { follow: true });
    await waitFor(async () => (await accounts.status('default')).linked, 'the loopback link');
    expect((await call('account:unlink', { profile: 'default' }, FOREIGN['a sub-frame'])).ok).toBe(false);
    expect((await accounts.status('default')).linked).toBe(true);
    expect((await call('account:unlink', { profile: 'default' })).ok).toBe(true);
    expect((await accounts.status('default')).linked).toBe(false);
  });

  it('registerIpc registers every channel, and reads the sender from the event', async () => {
    const { handlers } = setup();
    const registered = new Map<string, (event: unknown, payload: unknown) => Promise<Result<unknown>>>();
    const ourContents = { mainFrame: { url: APP_URL } };
    const otherContents = { mainFrame: { url: APP_URL } };
    registerIpc(
      { handle: (channel: string, fn: (event: unknown, payload: unknown) => Promise<Result<unknown>>) => void registered.set(channel, fn) } as never,
      handlers,
      (contents) => contents === (ourContents as never),
      () => APP_URL,
    );
    expect([...registered.keys()].sort()).toEqual([...CHANNELS].sort());
    const info = registered.get('app:info')!;
    expect((await info({ sender: ourContents, senderFrame: ourContents.mainFrame }, null)).ok).toBe(true);
    const subFrame = { url: APP_URL };
    expect((await info({ sender: ourContents, senderFrame: subFrame }, null)).ok).toBe(false);
    expect((await info({ sender: ourContents, senderFrame: null }, null)).ok).toBe(false);
    expect((await info({ sender: otherContents, senderFrame: otherContents.mainFrame }, null)).ok).toBe(false);
    expect(senderInfoOf({ sender: ourContents, senderFrame: subFrame } as never, () => true)).toEqual({ fromOurWindow: true, isMainFrame: false, url: APP_URL });
  });
});

describe('payload parsing (SECURITY #5)', () => {
  const BAD: [Channel, unknown][] = [
    ['app:info', { extra: true }],
    ['app:info', { retry: 'yes' }],
    ['profiles:list', 'all'],
    ['link:start', undefined],
    ['link:start', { profile: 'default', provider: 'icloud' }],
    ['link:start', { profile: '../../etc/passwd', provider: 'sandbox' }],
    ['link:start', { profile: 'default', provider: 'sandbox', redirect: 'javascript:alert(1)' }],
    ['link:start', { profile: 'default', clientId: 42 }],
    ['link:start', { profile: 'default', clientSecret: 'x'.repeat(5000) }],
    ['consent:answer', { id: 'not-a-uuid', answer: 'once' }],
    ['consent:answer', { id: '00000000-0000-4000-8000-000000000000', answer: 'forever' }],
    ['consent:revoke', { program: '/usr/bin/true', profile: 'default' }],
    ['link:finish', { profile: 'default' }],
    ['link:finish', { profile: 'default', input: ['code'] }],
    ['link:finish', { profile: 'default', input: 'x'.repeat(9000) }],
    ['link:cancel', 'default'],
    ['link:open', { profile: '' }],
    ['link:copy', { profile: null }],
    ['account:unlink', { profile: 'default', force: true }],
    ['account:unlink', [{ profile: 'default' }]],
  ];

  it.each(BAD)('%s with %j is a typed INVALID_ARGUMENT error', async (channel, payload) => {
    const { call } = setup();
    const result = await call(channel, payload);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_ARGUMENT');
      expect(result.error.message).toMatch(/does not understand/);
    }
  });

  it('an invalid payload is never echoed back (it may hold a secret)', async () => {
    const { call } = setup();
    const result = await call('link:start', { profile: 'default', provider: 'box', clientSecret: { secret: 'hunter2-very-secret' } });
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(JSON.stringify(result)).toContain('clientSecret');
  });

  it('answers any JSON value on any channel with a result, never a throw', async () => {
    const { handlers } = setup();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHANNELS), fc.jsonValue(), async (channel, payload) => {
        // Valid profile names would reach the service; the property is about shapes, so keep it to the parser.
        fc.pre(!(typeof payload === 'object' && payload !== null && 'profile' in payload));
        const result = await dispatch(handlers, channel, OURS, payload, APP_URL);
        expect(typeof result.ok).toBe('boolean');
        if (!['app:info', 'profiles:list', 'settings:get', 'consent:list'].includes(channel)) expect(result.ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('an unknown channel is refused', async () => {
    const { call } = setup();
    expect(await call('shell:exec', 'rm -rf /')).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });
});

describe('linking through IPC', () => {
  it('links a confidential client; neither the client secret nor any token crosses IPC (SECURITY #10)', async () => {
    const { ok, wire, events } = setup();
    const secret = SANDBOX_CLIENTS.confidential.clientSecret;
    const pending = await ok<{ url: string; mode: string; waiting: boolean }>('link:start', {
      profile: 'default',
      provider: 'sandbox',
      clientId: SANDBOX_CLIENTS.confidential.clientId,
      clientSecret: secret,
    });
    expect(pending).toMatchObject({ mode: 'loopback', waiting: true });
    const { redirectUrl } = await approve(pending.url);
    // The command answers only its own result; the linked profile comes on the change feed.
    expect(await ok('link:finish', { profile: 'default', input: redirectUrl })).toBeNull();
    await waitFor(() => events.some((e) => e.some((p) => p.linked)), 'a status event');
    const view = events.findLast((e) => e.some((p) => p.linked))!.find((p) => p.profile === 'default');
    expect(view).toMatchObject({ linked: true, account: { id: 'alice', name: 'Alice Example' }, needsClientSecret: true, pending: null, error: null });
    const record = await storedRecord(fx.home, 'default');
    expect(record.clientSecret).toBe(secret);
    await ok('profiles:list', null);
    await ok('app:info', null);
    await waitFor(() => events.some((e) => e.some((p) => p.linked)), 'a status event');
    await ok('account:unlink', { profile: 'default' });
    await waitFor(() => events.at(-1)!.length === 0, 'the unlink event');

    const everything = wire.join('\n');
    expect(everything).toContain('Alice Example');
    for (const [name, value] of Object.entries({ secret, accessToken: record.accessToken, refreshToken: record.refreshToken! })) {
      expect(everything.includes(value), `${name} crossed IPC`).toBe(false);
    }
  });

  it('a link in progress is shown again to a reopened window, and after an app restart', async () => {
    const first = setup();
    const pending = await first.ok<{ url: string }>('link:start', { profile: 'default', provider: 'sandbox' });
    const again = setup();
    const [view] = await again.ok<ProfileView[]>('profiles:list', null);
    expect(view).toMatchObject({ profile: 'default', provider: 'sandbox', linked: false, pending: { url: pending.url, mode: 'loopback', waiting: false } });
    // The first service (the running app) still waits for the browser.
    const [live] = await first.ok<ProfileView[]>('profiles:list', null);
    expect(live!.pending).toMatchObject({ url: pending.url, waiting: true });
    await first.ok('link:cancel', { profile: 'default' });
    expect(await first.ok('profiles:list', null)).toEqual([]);
  });

  it('a browser redirect that fails (not approved) shows on the profile, then Start again clears it', async () => {
    const { ok, events } = setup();
    const pending = await ok<{ url: string }>('link:start', { profile: 'default', provider: 'sandbox' });
    await approve(pending.url, { deny: true, follow: true });
    await waitFor(() => events.some((e) => e[0]?.error?.code === 'NOT_APPROVED'), 'the failure event');
    const [view] = await ok<ProfileView[]>('profiles:list', null);
    expect(view!.error).toEqual({ code: 'NOT_APPROVED', message: 'The link was not approved at the provider. Start the link again and choose Allow.' });
    await ok('link:cancel', { profile: 'default' });
    expect(await ok('profiles:list', null)).toEqual([]);
  });

  it('opens the authorization URL only through the allow-list, and copies it', async () => {
    const fromSource = setup();
    const pending = await fromSource.ok<{ url: string }>('link:start', { profile: 'default', provider: 'sandbox', });
    await fromSource.ok('link:open', { profile: 'default' });
    await fromSource.ok('link:copy', { profile: 'default' });
    expect(fromSource.opened).toEqual([pending.url]);
    expect(fromSource.copied).toEqual([pending.url]);

    // Packaged: the sandbox's http://127.0.0.1 page is not opened.
    const packaged = setup({ allowLoopbackHttp: false });
    const result = await packaged.call('link:open', { profile: 'default' });
    expect(result).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(/opens only https pages of 127\.0\.0\.1:\d+/) } });
    expect(packaged.opened).toEqual([]);
    await fromSource.ok('link:cancel', { profile: 'default' });
    expect(await packaged.call('link:open', { profile: 'default' })).toMatchObject({ ok: false, error: { code: 'BAD_STATE' } });
  });

  it('answers mistakes in the form with what to do', async () => {
    const { call } = setup();
    expect(await call('link:start', { profile: 'default', provider: 'dropbox' })).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(/client id/) } });
    expect(await call('link:start', { profile: 'default', provider: 'box', clientId: 'abc' })).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(/client secret/) } });
    expect(await call('link:start', { profile: 'default', provider: 'oidc', clientId: 'abc' })).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(/issuer/) } });
    expect(await call('link:start', { profile: 'default' })).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(/choose a provider/) } });
    expect(await call('link:finish', { profile: 'default', input: 'abc' })).toMatchObject({ ok: false, error: { code: 'BAD_STATE' } });
  });

  it("the core's messages reach the window in words for any face: no flag, no command line", async () => {
    const { call, ok } = setup();
    expect(await call('account:unlink', { profile: 'nobody' })).toEqual({ ok: false, error: { code: 'NOT_LINKED', message: 'Profile "nobody" is not linked. Link it first.' } });
    const pending = await ok<{ url: string }>('link:start', { profile: 'default', provider: 'sandbox' });
    await ok('link:finish', { profile: 'default', input: (await approve(pending.url)).redirectUrl });
    const path = join(fx.home, 'config.json');
    const config = JSON.parse(await readFile(path, 'utf8'));
    config.profiles.default.settings = null;
    await writeFile(path, JSON.stringify(config));
    const [view] = await ok<ProfileView[]>('profiles:list', null);
    expect(view!.error).toEqual({
      code: 'STORE_ERROR',
      message: `The entry of profile "default" in ${path} is damaged (it has no provider settings). Unlink the profile, then link it again.`,
    });
  });

  it('the sandbox is refused when packaged', async () => {
    const accounts = new Accounts({ home: fx.home, store: 'plaintext' });
    const service = new AppService({ accounts, sandbox: null, allowLoopbackHttp: false, openExternal: async () => {}, copyText: () => {} });
    const info = await service.info();
    expect(info).toEqual({ sandbox: null, providers: providerOptions(false), newLinkStore: { backend: 'plaintext', location: `${fx.home}/credentials`, secure: false } });
    expect(info.providers.map((p) => [p.choice, p.clientSecret, p.issuer])).toEqual([
      ['dropbox', 'none', false],
      ['box', 'required', false],
      ['google', 'required', false],
      ['onedrive', 'none', false],
      ['oidc', 'optional', true],
    ]);
    await expect(service.startLink({ profile: 'default', provider: 'sandbox' })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('provider down at the start: CONNECTION_FAILED; after it is back the same request works', async () => {
    const { call } = setup();
    const restart = await fx.outage();
    try {
      expect(await call('link:start', { profile: 'default', provider: 'sandbox' })).toMatchObject({ ok: false, error: { code: 'CONNECTION_FAILED' } });
    } finally {
      await restart();
    }
    expect((await call('link:start', { profile: 'default', provider: 'sandbox' })).ok).toBe(true);
  });
});
