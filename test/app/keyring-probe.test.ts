/**
 * The keyring probe writes and deletes an item (a locked Secret Service answers a read of a missing
 * item with "nothing there"), so the window's status reads must not run it each time: one probe
 * for many reads of the app info and the profiles, a new one on Retry, none while a keyring call
 * has just failed. Counted at the Secret Service itself: dbus-monitor on the test's private bus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { AppService } from '../../main/app/service.js';
import { sandboxSettings, useSandbox } from '../support/fixtures.js';
import { startSecretService, type SecretService } from '../support/keyring.js';
import { linkByPaste } from '../support/login.js';

const SERVICE = 'authtray-probe-test';
const fx = useSandbox();
let keyring: SecretService;

beforeAll(async () => {
  keyring = await startSecretService();
  keyring.useInThisProcess();
});
afterAll(() => keyring?.close());

describe('the keyring probe', () => {
  it('runs once for many status reads, again on Retry, and not while the keyring has just failed', async () => {
    const options = { home: fx.home, store: 'auto', keyring: { service: SERVICE } };
    await linkByPaste(new Accounts(options), 'default', sandboxSettings(fx.sandbox.issuer));
    // The app starting over a linked profile: nothing is known about the keyring yet.
    const service = new AppService({ accounts: new Accounts(options), sandbox: null, allowLoopbackHttp: false, openExternal: async () => {}, copyText: () => {} });
    const bus = await keyring.monitor();
    try {
      for (let i = 0; i < 5; i++) {
        expect((await service.info()).newLinkStore).toMatchObject({ backend: 'keyring', secure: true });
        expect((await service.profiles()).map((p) => [p.profile, p.linked])).toEqual([['default', true]]);
      }
      expect([bus.count('CreateItem'), bus.count('Delete')]).toEqual([1, 1]);

      await service.info({ retry: true });
      expect([bus.count('CreateItem'), bus.count('Delete')]).toEqual([2, 2]);

      // Locked: reading the profile fails, and that answer is kept: no probe knocks on a locked keyring.
      await keyring.lock();
      expect((await service.profiles())[0]).toMatchObject({ health: 'keyring-locked', error: { code: 'KEYRING_ACCESS' } });
      expect((await service.info()).newLinkStore).toBeNull();
      expect((await service.info()).newLinkStore).toBeNull();
      expect(bus.count('CreateItem')).toBe(2);

      // Unlocked: the kept answer stands until the person retries.
      await keyring.unlock();
      expect((await service.info()).newLinkStore).toBeNull();
      expect((await service.info({ retry: true })).newLinkStore).toMatchObject({ backend: 'keyring' });
      expect(bus.count('CreateItem')).toBe(3);
      expect((await keyring.items(SERVICE)).map((i) => i.attributes.username ?? i.label)).toHaveLength(1);
    } finally {
      await bus.stop();
      service.close();
    }
  });
});
