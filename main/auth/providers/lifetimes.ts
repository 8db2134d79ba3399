/**
 * How long each provider lets a refresh token live unused: the rules the app's keep-alive follows.
 */
import type { ProfileSettings, ProviderKind } from '../../model.js';

const DAY_MS = 86_400_000;

/**
 * How long each provider lets a refresh token live unused (its idle lifetime), as data: Box's last
 * 60 days (PROVIDERS.md), Microsoft identity platform's 90 days of inactivity, Google's 7 days for
 * apps whose consent screen is still in testing. Matched by provider kind, and for OpenID Connect by
 * the issuer's host. A provider with no rule here gets no keep-alive renewal.
 */
export const IDLE_REFRESH_LIFETIMES: readonly { provider: ProviderKind; issuerHost?: string; lifetimeMs: number }[] = [
  { provider: 'box', lifetimeMs: 60 * DAY_MS },
  // docs/providers/onedrive.md: a refresh token unused for 90 days lapses.
  { provider: 'onedrive', lifetimeMs: 90 * DAY_MS },
  // docs/providers/google.md: 7 days for an app whose consent screen is in testing (the shortest Google has).
  { provider: 'google', lifetimeMs: 7 * DAY_MS },
  { provider: 'oidc', issuerHost: 'login.microsoftonline.com', lifetimeMs: 90 * DAY_MS },
  { provider: 'oidc', issuerHost: 'accounts.google.com', lifetimeMs: 7 * DAY_MS },
];

/** The idle lifetime of a profile's refresh token, in ms, or null when its provider has no rule. */
export function idleRefreshLifetime(settings: ProfileSettings, rules = IDLE_REFRESH_LIFETIMES): number | null {
  const issuer = settings.metadata?.issuer ?? settings.issuer;
  let host: string | null = null;
  try {
    host = issuer ? new URL(issuer).host : null;
  } catch {
    host = null;
  }
  const rule = rules.find((r) => r.provider === settings.provider && (r.issuerHost === undefined || r.issuerHost === host));
  return rule?.lifetimeMs ?? null;
}

