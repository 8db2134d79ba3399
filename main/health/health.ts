/**
 * A link's health, in words the tray, the window and the notifications share: what each error
 * means for the link, and which states only the person can fix.
 */
import type { LinkHealth } from '../../preload/api.js';
import { AuthtrayError, ErrorCodes } from '../errors.js';

export type { LinkHealth } from '../../preload/api.js';

/** States only the person can fix: the tray shows its attention icon while any link is in one. */
export const NEEDS_PERSON: ReadonlySet<LinkHealth> = new Set<LinkHealth>(['needs-relink', 'keyring-locked', 'store-unreachable']);

/** The health an error means, or null when it says nothing about the link (not linked any more, a bug). */
export function healthOfError(err: unknown): LinkHealth | null {
  if (!(err instanceof AuthtrayError)) return null;
  switch (err.code) {
    case ErrorCodes.NEEDS_RELINK:
      return 'needs-relink';
    case ErrorCodes.KEYRING_ACCESS:
      return 'keyring-locked';
    case ErrorCodes.STORE_ERROR:
      return 'store-unreachable';
    case ErrorCodes.CONNECTION_FAILED:
      return 'provider-unreachable';
    default:
      return null;
  }
}

