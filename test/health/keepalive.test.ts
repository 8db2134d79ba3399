// Keep-alive planning with a fake clock: one timer per profile from the record's issue time and the
// provider's rule, planned again after resume, none for providers without a rule.
import { describe, expect, it } from 'vitest';
import { idleRefreshLifetime } from '../../main/auth/providers/index.js';
import { ConnectionFailedError } from '../../main/errors.js';
import { MAX_TIMER_MS, renewalDue, timerDelay } from '../../main/health/keepalive.js';
import { LinkWatch, type Clock, type WatchedAccounts } from '../../main/health/watch.js';
import type { ProfileConfig } from '../../main/store/config.js';
import type { CredentialRecord } from '../../main/store/types.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A clock the test moves: timers run in due order as time passes. */
class FakeClock implements Clock {
  time = T0;
  #next = 1;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.#next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (id: unknown) => void this.timers.delete(id as number);
  /** Moves time forward, running each timer that comes due on the way. */
  advance(ms: number) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].fn();
    }
    this.time = end;
  }
}

const record = (issuedAt: number | undefined, refreshToken: string | null = 'rt'): CredentialRecord => ({
  version: 1, provider: 'box', clientId: 'c', accountId: 'a', tokenKind: refreshToken ? 'offline' : 'legacy', accessToken: 'at',
  expiresAt: T0 + 365 * DAY, refreshToken, scopes: [], ...(issuedAt === undefined ? {} : { issuedAt }),
});

const profileConfig = (provider: 'box' | 'dropbox', needsRelink = false): ProfileConfig => ({
  settings: { provider, clientId: 'c' }, account: { id: 'a', name: null, email: 'a@example.test' }, store: { backend: 'plaintext' }, needsRelink, linkedAt: new Date(T0).toISOString(),
});

/** Accounts as the watch sees them: configs, records, and a renewal that counts its requests. */
function fakeAccounts(clock: FakeClock, profiles: Record<string, { config: ProfileConfig; record: CredentialRecord }>) {
  const requests: string[] = [];
  const accounts: WatchedAccounts = {
    snapshot: async () => Object.entries(profiles).map(([profile, p]) => ({ profile, config: p.config, settings: p.config.settings, pending: null, status: null, error: null })),
    onStatusChanged: () => () => {},
    session: (async (profile: string) => ({
      record: async () => profiles[profile]!.record,
      accessToken: async () => profiles[profile]!.record.accessToken,
      renewUnlessIssuedAfter: async (issuedAfter: number) => {
        const p = profiles[profile]!;
        if ((p.record.issuedAt ?? 0) > issuedAfter) return { record: p.record, renewed: false };
        requests.push(profile);
        p.record = { ...p.record, issuedAt: clock.now() };
        return { record: p.record, renewed: true };
      },
    })) as unknown as WatchedAccounts['session'],
  };
  return { accounts, requests };
}

const settle = async (watch: LinkWatch) => {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    await watch.idle();
  }
};

describe('the rules', () => {
  it('live with the provider profiles: Box 60 days, Microsoft 90, Google 7, none for Dropbox or another issuer', () => {
    expect(idleRefreshLifetime({ provider: 'box', clientId: 'c' })).toBe(60 * DAY);
    expect(idleRefreshLifetime({ provider: 'oidc', clientId: 'c', issuer: 'https://login.microsoftonline.com/common/v2.0' })).toBe(90 * DAY);
    expect(idleRefreshLifetime({ provider: 'oidc', clientId: 'c', issuer: 'https://accounts.google.com' })).toBe(7 * DAY);
    // The google and onedrive profiles carry their rules whatever endpoint they are pointed at (the sandbox's emulations too).
    expect(idleRefreshLifetime({ provider: 'onedrive', clientId: 'c', tenant: 'organizations' })).toBe(90 * DAY);
    expect(idleRefreshLifetime({ provider: 'google', clientId: 'c', issuer: 'http://127.0.0.1:7480/google' })).toBe(7 * DAY);
    expect(idleRefreshLifetime({ provider: 'dropbox', clientId: 'c' })).toBeNull();
    expect(idleRefreshLifetime({ provider: 'oidc', clientId: 'c', issuer: 'https://id.example.com' })).toBeNull();
  });

  it('renews when three quarters of the idle lifetime have passed since the last issue; nothing without a refresh token, a rule, or a live grant', () => {
    const base = { linkedAt: null, needsRelink: false, idleLifetimeMs: 60 * DAY };
    expect(renewalDue({ ...base, record: record(T0) }, T0)).toBe(T0 + 45 * DAY);
    expect(renewalDue({ ...base, record: record(undefined), linkedAt: T0 - DAY }, T0)).toBe(T0 + 44 * DAY);
    expect(renewalDue({ ...base, record: record(T0, null) }, T0)).toBeNull();
    expect(renewalDue({ ...base, idleLifetimeMs: null, record: record(T0) }, T0)).toBeNull();
    expect(renewalDue({ ...base, needsRelink: true, record: record(T0) }, T0)).toBeNull();
    expect(timerDelay(T0 + 45 * DAY, T0)).toBe(MAX_TIMER_MS);
    expect(timerDelay(T0 - 1, T0)).toBe(0);
  });
});

describe('the watch, with a fake clock', () => {
  it('one timer per profile with a rule; renews once when due, then plans from the new issue time', async () => {
    const clock = new FakeClock();
    const { accounts, requests } = fakeAccounts(clock, {
      box: { config: profileConfig('box'), record: record(T0) },
      dropbox: { config: profileConfig('dropbox'), record: record(T0) },
    });
    const watch = new LinkWatch({ accounts, clock });
    await watch.start();
    expect(watch.planned()).toEqual(new Map([['box', T0 + 45 * DAY]]));
    expect(clock.timers.size).toBe(1); // no polling: one timer, and none for Dropbox
    expect(watch.healthOf('dropbox')).toBe('linked');

    clock.advance(30 * DAY); // the first step of a due time past the longest timer: nothing yet
    await settle(watch);
    expect(requests).toEqual([]);
    clock.advance(15 * DAY);
    await settle(watch);
    expect(requests).toEqual(['box']);
    expect(watch.planned().get('box')).toBe(T0 + 90 * DAY);
    expect(clock.timers.size).toBe(1);
    watch.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('no request when a program renewed it meanwhile; resume plans again from the record', async () => {
    const clock = new FakeClock();
    const profiles = { box: { config: profileConfig('box'), record: record(T0) } };
    const { accounts, requests } = fakeAccounts(clock, profiles);
    const watch = new LinkWatch({ accounts, clock });
    await watch.start();
    clock.time = T0 + 40 * DAY;
    profiles.box.record = { ...profiles.box.record, issuedAt: clock.now() }; // `authtray token` refreshed it
    clock.advance(5 * DAY);
    await settle(watch);
    expect(requests).toEqual([]);
    expect(watch.planned().get('box')).toBe(T0 + 85 * DAY);

    // Asleep past the due time: timers do not count sleep; resume re-plans and renews at once.
    clock.time = T0 + 100 * DAY;
    await watch.replan();
    await settle(watch);
    clock.advance(0);
    await settle(watch);
    expect(requests).toEqual(['box']);
    expect(watch.planned().get('box')).toBe(T0 + 145 * DAY);
    watch.stop();
  });

  it('provider out of reach at start: retried with the waits, unreachable after the last, checked again later by itself', async () => {
    const clock = new FakeClock();
    const profiles = { box: { config: profileConfig('box'), record: { ...record(T0), expiresAt: T0 - 1 } } };
    const { accounts } = fakeAccounts(clock, profiles);
    let down = true;
    const attempts: number[] = [];
    const session = accounts.session;
    accounts.session = (async (profile: string) => ({
      ...(await session(profile)),
      accessToken: async () => {
        attempts.push(clock.now() - T0);
        if (down) throw new ConnectionFailedError('The provider could not be reached (connect ECONNREFUSED).');
        profiles.box.record = { ...profiles.box.record, expiresAt: clock.now() + 3600_000, issuedAt: clock.now() };
        return 'at';
      },
    })) as unknown as WatchedAccounts['session'];
    const watch = new LinkWatch({ accounts, clock, retryDelaysMs: [1000, 5000] });
    // The retries wait on the fake clock: move it only once each attempt has been made.
    const flush = async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    const started = watch.start();
    for (const wait of [1000, 5000]) {
      await flush();
      clock.advance(wait);
    }
    await started;
    expect(attempts).toEqual([0, 1000, 6000]);
    expect(watch.healthOf('box')).toBe('provider-unreachable');
    expect(watch.needingPerson()).toEqual([]);
    down = false;
    clock.advance(5000); // the later check, with no event from the app
    await settle(watch);
    expect(watch.healthOf('box')).toBe('linked');
    expect(attempts.at(-1)).toBe(11_000);
    expect(watch.planned().get('box')).toBe(T0 + 11_000 + 45 * DAY);
    watch.stop();
  });

  it('keep-alive off: health still worked out, no timer', async () => {
    const clock = new FakeClock();
    const { accounts } = fakeAccounts(clock, { box: { config: profileConfig('box'), record: record(T0) }, old: { config: profileConfig('box', true), record: record(T0) } });
    const watch = new LinkWatch({ accounts, clock, keepAlive: () => false });
    await watch.start();
    expect(clock.timers.size).toBe(0);
    expect([watch.healthOf('box'), watch.healthOf('old')]).toEqual(['linked', 'needs-relink']);
    expect(watch.needingPerson()).toEqual(['old']);
  });
});
