// What the app needs from the accounts service: status-change notifications and the link in
// progress rebuilt after the window (or the app) was reopened. Against the real sandbox.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Accounts } from '../main/accounts.js';
import { ConfigFile } from '../main/store/config.js';
import { approve, linkByPaste } from './support/login.js';
import { boxEndpoints } from './support/box.js';
import { expectCode, revokeAtProvider, sandboxSettings, storedRecord, useSandbox, waitFor } from './support/fixtures.js';

const fx = useSandbox();

function accounts(now?: () => number) {
  return new Accounts({ home: fx.home, store: 'plaintext', ...(now ? { deps: { now } } : {}) });
}

function recorder(a: Accounts) {
  const seen: string[] = [];
  const unsubscribe = a.onStatusChanged((profile) => seen.push(profile));
  return { seen, unsubscribe };
}

describe('onStatusChanged', () => {
  it('fires on start, finish by paste, cancel and unlink, and stops after unsubscribe', async () => {
    const a = accounts();
    const { seen, unsubscribe } = recorder(a);
    const started = await a.startLink('default', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    expect(seen).toEqual(['default']);
    const { redirectUrl } = await approve(started.url);
    await a.finishLink('default', redirectUrl);
    expect(seen).toEqual(['default', 'default']);

    await a.startLink('work', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    await a.abandonLink('work');
    expect(seen.slice(2)).toEqual(['work', 'work']);

    await a.unlink('default');
    expect(seen.at(-1)).toBe('default');
    const count = seen.length;
    unsubscribe();
    await a.startLink('other', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    expect(seen.length).toBe(count);
  });

  it('fires when the browser comes back to the loopback listener', async () => {
    const a = accounts();
    const started = await a.startLink('default', sandboxSettings(fx.sandbox.issuer));
    const { seen } = recorder(a);
    await approve(started.url, { follow: true });
    await started.redirected;
    await waitFor(() => seen.length >= 1, 'a status change');
    expect((await a.status('default')).linked).toBe(true);
  });

  it('fires on a refresh and when the profile moves to "needs relink"', async () => {
    let clock = Date.now();
    const a = accounts(() => clock);
    const started = await a.startLink('default', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    await a.finishLink('default', (await approve(started.url)).redirectUrl);
    const { seen } = recorder(a);
    const record = await storedRecord(fx.home, 'default');
    clock = record.expiresAt! + 1000;
    await a.accessToken('default');
    expect(seen).toEqual(['default']);

    await revokeAtProvider(fx.sandbox.issuer, (await storedRecord(fx.home, 'default')).refreshToken!);
    clock += 2 * 3600_000;
    await expectCode(a.accessToken('default'), 'NEEDS_RELINK');
    expect(seen).toEqual(['default', 'default']);
    expect((await a.status('default')).needsRelink).toBe(true);
  });

  it('fires when a link is made without a browser (a Box developer token)', async () => {
    const a = accounts();
    // What a listener finds when it is told: the profile must already be in the config by then.
    const configured: boolean[] = [];
    a.onStatusChanged(() => configured.push(readFileSync(join(fx.home, 'config.json'), 'utf8').includes('"dev"')));
    await a.linkDeveloperToken('dev', await fx.sandbox.developerToken('dana'), { endpoints: boxEndpoints(fx.sandbox) });
    expect(configured.at(-1)).toBe(true);
    expect((await a.status('dev')).linked).toBe(true);
  });

  it('a throwing listener does not stop the others or the operation', async () => {
    const a = accounts();
    a.onStatusChanged(() => {
      throw new Error('listener bug');
    });
    const { seen } = recorder(a);
    await a.startLink('default', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    expect(seen).toEqual(['default']);
  });
});

describe('pendingLink', () => {
  it('rebuilds the same authorization URL from the stored pending authorization, in another instance too', async () => {
    const a = accounts();
    const started = await a.startLink('default', sandboxSettings(fx.sandbox.issuer));
    const same = await a.pendingLink('default');
    expect(same).toEqual({
      profile: 'default',
      provider: 'sandbox',
      url: started.url,
      mode: 'loopback',
      redirectUri: started.redirectUri,
      expiresAt: started.expiresAt,
      waiting: true,
    });
    // The app restarted: the pending authorization is on disk, the listener is gone.
    const restarted = accounts();
    expect(await restarted.pendingLink('default')).toEqual({ ...same, waiting: false });
    expect(await restarted.pendingLinks()).toEqual([{ ...same, waiting: false }]);
    // Nothing secret in it: no verifier, no state other than the one already in the URL.
    const pendingFile = JSON.parse(await readFile(`${fx.home}/pending/default.json`, 'utf8'));
    expect(JSON.stringify(same)).not.toContain(pendingFile.codeVerifier);
    a.cancelLink('default');
  });

  it('the rebuilt URL still finishes the link (paste flow)', async () => {
    await accounts().startLink('default', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    const again = await accounts().pendingLink('default');
    const status = await accounts().finishLink('default', (await approve(again!.url)).redirectUrl);
    expect(status.linked).toBe(true);
    expect(await accounts().pendingLink('default')).toBeNull();
    expect(await accounts().pendingLinks()).toEqual([]);
  });

  it('is null after expiry and after cancel; pendingLinks lists only live ones', async () => {
    let clock = Date.now();
    const a = accounts(() => clock);
    await a.startLink('one', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    await a.startLink('two', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    expect((await a.pendingLinks()).map((p) => p.profile)).toEqual(['one', 'two']);
    await a.abandonLink('one');
    expect((await a.pendingLinks()).map((p) => p.profile)).toEqual(['two']);
    clock += 11 * 60_000;
    expect(await a.pendingLink('two')).toBeNull();
    expect(await a.pendingLinks()).toEqual([]);
  });

  it('starting again replaces the listener: the new one waits and finishes the link', async () => {
    const a = accounts();
    await a.startLink('default', sandboxSettings(fx.sandbox.issuer));
    const second = await a.startLink('default', sandboxSettings(fx.sandbox.issuer));
    // Let the first listener's cancellation settle before looking.
    await new Promise((r) => setTimeout(r, 20));
    expect((await a.pendingLink('default'))?.waiting).toBe(true);
    await approve(second.url, { follow: true });
    expect((await second.redirected)!.linked).toBe(true);
  });

  it('a pending file no provider accepts does not hide the other links in progress', async () => {
    const a = accounts();
    await a.startLink('good', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    await a.startLink('bad', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    const path = `${fx.home}/pending/bad.json`;
    const pending = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...pending, settings: { ...pending.settings, provider: 'nope' } }));
    await expectCode(a.pendingLink('bad'), 'USAGE');
    expect((await a.pendingLinks()).map((p) => p.profile)).toEqual(['good']);
  });
});

describe('newLinkStore', () => {
  it('says where a new link would be stored, and whether that is secure, as startLink would choose', async () => {
    expect(await accounts().newLinkStore()).toEqual({ backend: 'plaintext', location: `${fx.home}/credentials`, secure: false });
    expect(await new Accounts({ home: fx.home, store: 'memory' }).newLinkStore()).toEqual({ backend: 'memory', location: 'process memory', secure: true });
    const started = await accounts().startLink('default', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    expect(started.store).toEqual(await accounts().newLinkStore());
  });
});

describe('snapshot and profiles', () => {
  it('read config.json once, however many profiles and links in progress there are', async () => {
    const a = accounts();
    await linkByPaste(a, 'default', sandboxSettings(fx.sandbox.issuer));
    await linkByPaste(a, 'work', sandboxSettings(fx.sandbox.issuer), 'bob');
    await a.startLink('third', sandboxSettings(fx.sandbox.issuer), { redirect: 'paste' });
    const reads = vi.spyOn(ConfigFile.prototype, 'read');
    try {
      const snapshot = await a.snapshot();
      expect(snapshot.map((s) => [s.profile, s.status?.linked, s.pending !== null])).toEqual([
        ['default', true, false],
        ['third', false, true],
        ['work', true, false],
      ]);
      expect(reads).toHaveBeenCalledTimes(1);
      reads.mockClear();
      expect((await a.profiles()).map((p) => [p.profile, p.account?.id])).toEqual([
        ['default', 'alice'],
        ['work', 'bob'],
      ]);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });
});
