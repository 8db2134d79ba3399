// Words the window uses for providers, tokens and times.
import type { ProfileView } from '../../preload/api.js';

const PROVIDERS: Record<string, string> = {
  dropbox: 'Dropbox',
  box: 'Box',
  'box-jwt': 'Box (server auth)',
  'box-developer-token': 'Box (developer token)',
  google: 'Google Drive',
  onedrive: 'OneDrive',
  oidc: 'OpenID Connect',
  sandbox: 'Sandbox (local test provider)',
  none: 'Not chosen',
};

export function providerLabel(provider: string): string {
  return PROVIDERS[provider] ?? provider;
}

/** Short provider name for sentences ("revokes its access at Dropbox"). */
export function providerShort(provider: string): string {
  return provider === 'sandbox' ? 'the sandbox' : provider === 'oidc' ? 'the provider' : providerLabel(provider);
}

export function formatTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const sameDay = date.toDateString() === now.toDateString();
  return new Intl.DateTimeFormat(undefined, sameDay ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

const TOKEN_KINDS: Record<NonNullable<ProfileView['token']>['kind'], string> = {
  offline: 'Renews itself (refresh token)',
  online: 'Short-lived, cannot renew itself',
  legacy: 'Long-lived access token',
  jwt: "Renewed with the app's signing key (server auth)",
  developer: 'Developer token: lasts 60 minutes, then link again',
};

export function tokenDescription(token: NonNullable<ProfileView['token']>): string {
  const kind = TOKEN_KINDS[token.kind] ?? token.kind;
  return token.expiresAt ? `${kind}; current access token valid until ${formatTime(token.expiresAt)}` : kind;
}

/** The account's most human name. */
export function accountTitle(p: ProfileView): string {
  return p.account?.name ?? p.account?.email ?? p.account?.id ?? p.profile;
}

const STORES: Record<string, string> = { plaintext: 'Plain-text file', keyring: 'System keyring', redis: 'Redis', memcached: 'Memcached', memory: 'Memory only' };

/** Where the credentials are, in words: the kind of store, then its place. */
export function storeLabel(store: { backend: string; location: string }): string {
  return `${STORES[store.backend] ?? store.backend}: ${store.location}`;
}
