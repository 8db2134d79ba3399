/**
 * Damaged state, recoverable: a config entry that cannot be used as a profile, and where a person
 * revokes authtray's access by hand when authtray itself could not (no readable credentials).
 */
import type { ProfileConfig, ProfileSettings } from '../model.js';

/** Why a config entry cannot be used as a profile, or null when it can. */
export function entryProblem(entry: unknown): string | null {
  const e = entry as Partial<ProfileConfig> | null;
  if (typeof e !== 'object' || e === null) return 'it is not an object';
  if (typeof e.settings !== 'object' || e.settings === null || typeof e.settings.provider !== 'string') return 'it has no provider settings';
  if (typeof e.store !== 'object' || e.store === null || typeof e.store.backend !== 'string') return 'it does not say which credential store it uses';
  return null;
}

/** Where the person removes the app's access themselves. */
export function revokeByHand(settings: Partial<ProfileSettings> | undefined): string {
  switch (settings?.provider) {
    case 'dropbox':
      return 'at https://www.dropbox.com/account/connected_apps';
    case 'box':
    case 'box-developer-token':
      return 'in your Box account settings, under Apps';
    case 'box-jwt':
      return 'in the Box Admin Console, under Apps';
    case 'google':
      return 'at https://myaccount.google.com/connections';
    case 'onedrive':
      return 'at https://account.microsoft.com under Privacy, Apps and services (a personal Microsoft account), or through your organization\'s administrator (a work or school account)';
    default:
      return settings?.issuer ? `in your account settings at ${settings.issuer}` : 'in your account settings at the provider';
  }
}
