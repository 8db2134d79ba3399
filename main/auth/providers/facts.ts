/**
 * The providers' documented constants and scope rules, as plain data (docs/providers/*.md give the
 * sources): light enough for the library's entry point to export without loading any protocol code.
 */

export const GOOGLE_ISSUER = 'https://accounts.google.com';
const SCOPE_BASE = 'https://www.googleapis.com/auth/';
/** Asked for in every Google link: the account's id, name and email in the ID token. */
export const GOOGLE_IDENTITY_SCOPES = ['openid', 'email', 'profile'] as const;
/** Per-file access, Google's recommended and non-sensitive Drive scope. */
export const GOOGLE_DEFAULT_DRIVE_SCOPE = `${SCOPE_BASE}drive.file`;
/** The only Drive scopes Google's device flow takes (with openid, email and profile). */
export const GOOGLE_DEVICE_SCOPES = [...GOOGLE_IDENTITY_SCOPES, `${SCOPE_BASE}drive.file`, `${SCOPE_BASE}drive.appdata`] as const;

/**
 * The scopes of a Google link: openid, email and profile always, then the Drive scopes given
 * (`drive`, `drive.readonly` or full URLs) or `drive.file`. A bare Drive name gets Google's prefix.
 */
export function googleScopes(given: readonly string[] | undefined): string[] {
  const named = (given ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
  const extra = named.filter((s) => !(GOOGLE_IDENTITY_SCOPES as readonly string[]).includes(s)).map((s) => (s.includes(':') ? s : `${SCOPE_BASE}${s}`));
  return [...GOOGLE_IDENTITY_SCOPES, ...new Set(extra.length ? extra : [GOOGLE_DEFAULT_DRIVE_SCOPE])];
}

export const MICROSOFT_AUTHORITY = 'https://login.microsoftonline.com';
export const TENANT_PLACEHOLDER = '{tenantid}';
/** The tenant of personal Microsoft accounts (what `consumers` stands for). */
export const CONSUMERS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const ONEDRIVE_DEFAULT_SCOPES = ['offline_access', 'Files.ReadWrite', 'User.Read', 'openid', 'profile'] as const;
/** Always asked for: the refresh token, the ID token, and Graph `/me`. */
const REQUIRED_SCOPES = ['offline_access', 'User.Read', 'openid', 'profile'] as const;

/** The scopes of a OneDrive link: the ones given (else Files.ReadWrite), always with offline_access, User.Read, openid and profile. */
export function onedriveScopes(given: readonly string[] | undefined): string[] {
  const named = (given ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
  return [...new Set(named.length ? [...REQUIRED_SCOPES, ...named] : ONEDRIVE_DEFAULT_SCOPES)];
}

/** Where the person removes authtray's access: Microsoft gives clients no revocation to call. */
export const MICROSOFT_REMOVE_ACCESS =
  "Microsoft offers apps no way to revoke their own access, so nothing was sent and the grant stays valid there; the local credentials were deleted. Remove authtray's access at https://account.microsoft.com under Privacy, Apps and services (a personal Microsoft account), or ask your organization's administrator to remove it in the Microsoft Entra admin center under Enterprise applications (a work or school account).";

