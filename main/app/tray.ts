/**
 * The tray menu, as a plain template built from the profiles: each account as a label, "Link
 * account…", "Unlink…", "Open authtray", "Start at login" and "Quit". Rebuilt on every change.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { ProfileView } from '../../preload/api.js';

export interface TrayActions {
  open(): void;
  link(): void;
  unlink(profile: string): void;
  setStartAtLogin(enabled: boolean): void;
  quit(): void;
}

/** How one profile reads in the menu. */
export function profileLabel(p: ProfileView): string {
  const who = p.account ? (p.account.name ?? p.account.email ?? p.account.id) : p.profile;
  const state = p.error ? 'needs attention' : p.needsRelink ? 'needs relink' : p.linked ? p.provider : p.pending ? 'linking…' : 'not linked';
  return `${who} (${state})`;
}

/** The menu for the given profiles and the OS's start-at-login setting. */
export function trayMenuTemplate(profiles: readonly ProfileView[], startAtLogin: boolean, actions: TrayActions): MenuItemConstructorOptions[] {
  const accounts: MenuItemConstructorOptions[] = profiles.length
    ? profiles.map((p) => ({ label: profileLabel(p), enabled: false }))
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
    { type: 'separator' },
    { label: 'Start at login', type: 'checkbox', checked: startAtLogin, click: (item) => actions.setStartAtLogin(item.checked) },
    { type: 'separator' },
    { label: 'Quit', click: () => actions.quit() },
  ];
}

/** The tooltip: how many accounts are linked. */
export function trayTooltip(profiles: readonly ProfileView[]): string {
  const linked = profiles.filter((p) => p.linked).length;
  return linked === 0 ? 'authtray: no account linked' : `authtray: ${linked} account${linked === 1 ? '' : 's'} linked`;
}
