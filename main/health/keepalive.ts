/**
 * The keep-alive plan, pure: when a profile's refresh token must be used again so that it does not
 * lapse unused (Box 60 days, Microsoft 90, Google 7 for apps in testing: `IDLE_REFRESH_LIFETIMES`
 * in auth/providers/lifetimes.ts). One due time per profile, computed from the record's last issue time and
 * the provider's rule; the watcher (watch.ts) sets one timer per profile from it.
 */
import type { CredentialRecord } from '../model.js';

/** Renew once this share of the idle lifetime has passed: a quarter of it is left for outages and sleep. */
export const RENEW_AFTER_SHARE = 0.75;

/** The longest delay a JavaScript timer takes (about 24.8 days); a later due time is reached in steps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a profile's plan needs: its record's refresh token and issue time, and the rule. */
export interface KeepAliveInput {
  record: Pick<CredentialRecord, 'refreshToken' | 'issuedAt'>;
  /** The provider's idle lifetime of a refresh token (ms), or null: no rule, no renewal. */
  idleLifetimeMs: number | null;
  /** When the record does not say when it was issued (records made before keep-alive): the link time. */
  linkedAt: number | null;
  needsRelink: boolean;
}

/** The issue time the plan counts from: the record's, else the link time, else `now`. */
export function issuedAtOf(input: Pick<KeepAliveInput, 'record' | 'linkedAt'>, now: number): number {
  return input.record.issuedAt ?? input.linkedAt ?? now;
}

/** When to renew (ms since the epoch), or null when nothing is to be renewed. */
export function renewalDue(input: KeepAliveInput, now: number): number | null {
  if (input.needsRelink || !input.record.refreshToken || input.idleLifetimeMs === null || input.idleLifetimeMs <= 0) return null;
  return issuedAtOf(input, now) + Math.floor(input.idleLifetimeMs * RENEW_AFTER_SHARE);
}

/** The timer delay towards `due`: never negative, never longer than a timer takes. */
export function timerDelay(due: number, now: number): number {
  return Math.min(Math.max(0, due - now), MAX_TIMER_MS);
}
