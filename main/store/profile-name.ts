import { UsageError } from '../errors.js';

/** Profile names become file names and keyring account names: keep them short and plain. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isProfileName(name: string): boolean {
  return PROFILE_NAME.test(name);
}

export function assertProfileName(name: string): void {
  if (!isProfileName(name)) {
    throw new UsageError('A profile name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.');
  }
}
