/**
 * The tray menu, as a plain template built from the profiles: each account as a label (one that
 * needs the person marked, and a click opens the window on it), "Link account…", "Unlink…", "Open
 * authtray", "Settings…", "Start at login", "Show log" and "Quit". Rebuilt on every change; the
 * icon switches to its attention variant while any link needs the person.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { LinkHealth, ProfileView } from '../../preload/api.js';
import { NEEDS_PERSON } from '../health/health.js';

export interface TrayActions {
  open(): void;
  link(): void;
  unlink(profile: string): void;
  /** Opens the window on one account (one that needs the person). */
  show(profile: string): void;
  settings(): void;
  showLog(): void;
  setStartAtLogin(enabled: boolean): void;
  quit(): void;
}

const HEALTH_WORDS: Record<Exclude<LinkHealth, 'linked'>, string> = {
  'needs-relink': 'needs relink',
  'keyring-locked': 'keyring locked',
  'store-unreachable': 'store unreachable',
  'provider-unreachable': 'provider unreachable',
};

/** True while the link needs the person (relink, unlock the keyring, bring the store back). */
export const needsPerson = (p: ProfileView) => p.health !== null && NEEDS_PERSON.has(p.health);

/** How one profile reads in the menu; one that needs the person is marked. */
export function profileLabel(p: ProfileView): string {
  const who = p.account ? (p.account.name ?? p.account.email ?? p.account.id) : p.profile;
  const health = p.health && p.health !== 'linked' ? HEALTH_WORDS[p.health] : null;
  const state = p.pending ? 'linking…' : (health ?? (p.error ? 'needs attention' : p.needsRelink ? 'needs relink' : p.linked ? p.provider : 'not linked'));
  return `${needsPerson(p) ? '⚠ ' : ''}${who} (${state})`;
}

/** The menu for the given profiles and the OS's start-at-login setting. */
export function trayMenuTemplate(profiles: readonly ProfileView[], startAtLogin: boolean, actions: TrayActions): MenuItemConstructorOptions[] {
  const accounts: MenuItemConstructorOptions[] = profiles.length
    ? profiles.map((p) => (needsPerson(p) ? { label: profileLabel(p), click: () => actions.show(p.profile) } : { label: profileLabel(p), enabled: false }))
    : [{ label: 'No account linked', enabled: false }];
  const unlinkable = profiles.filter((p) => p.linked || p.needsRelink || p.account);
  const unlink: MenuItemConstructorOptions =
    unlinkable.length > 1
      ? { label: 'Unlink…', submenu: unlinkable.map((p) => ({ label: profileLabel(p), click: () => actions.unlink(p.profile) })) }
      : { label: 'Unlink…', enabled: unlinkable.length === 1, click: () => unlinkable[0] && actions.unlink(unlinkable[0].profile) };
  return [
    ...accounts,
    { type: 'separator' },
    { label: 'Link account…', click: () => actions.link() },
    unlink,
    { label: 'Open authtray', click: () => actions.open() },
    { label: 'Settings…', click: () => actions.settings() },
    { type: 'separator' },
    { label: 'Start at login', type: 'checkbox', checked: startAtLogin, click: (item) => actions.setStartAtLogin(item.checked) },
    { type: 'separator' },
    { label: 'Show log', click: () => actions.showLog() },
    { label: 'Quit', click: () => actions.quit() },
  ];
}

/** The tooltip: how many accounts need the person, else how many are linked. */
export function trayTooltip(profiles: readonly ProfileView[]): string {
  const attention = profiles.filter(needsPerson).length;
  if (attention) return `authtray: ${attention} account${attention === 1 ? ' needs' : 's need'} your attention`;
  const linked = profiles.filter((p) => p.linked).length;
  return linked === 0 ? 'authtray: no account linked' : `authtray: ${linked} account${linked === 1 ? '' : 's'} linked`;
}
