// Profile views and app info for the window and tray tests: the shapes main sends, in each state.
import type { AppInfo, PendingLinkView, ProfileView } from '../../preload/api.js';
import { providerOptions } from '../../main/link-request.js';

export const PLAIN: AppInfo = { sandbox: null, providers: providerOptions(false), newLinkStore: { backend: 'plaintext', location: '/home/a/.config/authtray/credentials', secure: false } };
export const KEYRING: AppInfo = { sandbox: null, providers: providerOptions(false), newLinkStore: { backend: 'keyring', location: 'Secret Service (login)', secure: true } };
export const FROM_SOURCE: AppInfo = { ...PLAIN, sandbox: { issuer: 'http://127.0.0.1:7480' }, providers: providerOptions(true) };

const inAnHour = new Date(Date.now() + 3600_000).toISOString();

export const notLinked: ProfileView = {
  profile: 'default',
  provider: 'none',
  linked: false,
  needsRelink: false,
  account: null,
  token: null,
  store: null,
  needsClientSecret: false,
  pending: null,
  error: null,
  health: null,
};

export const pendingLoopback: PendingLinkView = {
  profile: 'default',
  provider: 'sandbox',
  url: 'http://127.0.0.1:7480/auth?client_id=authtray-sandbox&state=abc',
  mode: 'loopback',
  redirectUri: 'http://127.0.0.1:50123/callback',
  expiresAt: inAnHour,
  waiting: true,
};

export const pendingDropbox: PendingLinkView = {
  profile: 'default',
  provider: 'dropbox',
  url: 'https://www.dropbox.com/oauth2/authorize?client_id=k&state=abc',
  mode: 'paste',
  redirectUri: null,
  expiresAt: inAnHour,
  waiting: false,
};

export const linking: ProfileView = { ...notLinked, provider: 'sandbox', pending: pendingLoopback };

export const linked: ProfileView = {
  ...notLinked,
  provider: 'dropbox',
  linked: true,
  health: 'linked',
  account: { id: 'dbid:AAH4f99', name: 'Alice Example', email: 'alice@example.test' },
  token: { kind: 'offline', expiresAt: inAnHour },
  store: { backend: 'plaintext', location: '/home/a/.config/authtray/credentials', secure: false },
};

export const linkedInKeyring: ProfileView = { ...linked, store: { backend: 'keyring', location: 'Secret Service (login)', secure: true } };
export const needsRelink: ProfileView = { ...linked, needsRelink: true, health: 'needs-relink' };
export const keyringLocked: ProfileView = {
  ...linked,
  linked: false,
  token: null,
  store: null,
  error: { code: 'KEYRING_ACCESS', message: 'Your keyring is locked. Unlock it and try again.' },
  health: 'keyring-locked',
};
export const providerUnreachable: ProfileView = { ...linked, health: 'provider-unreachable' };
export const bob: ProfileView = { ...linkedInKeyring, profile: 'work', provider: 'box', account: { id: '42', name: 'Bob Example', email: 'bob@example.test' }, needsClientSecret: true };
