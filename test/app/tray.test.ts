// The tray menu for each state of the profiles, and what its items do.
import { describe, expect, it } from 'vitest';
import { profileLabel, trayMenuTemplate, trayTooltip, type TrayActions } from '../../main/app/tray.js';
import type { ProfileView } from '../../preload/api.js';
import { linked, notLinked, pendingDropbox } from '../support/views.js';

type MenuItemConstructorOptions = ReturnType<typeof trayMenuTemplate>[number];

const alice: ProfileView = linked;
const bob: ProfileView = { ...alice, profile: 'work', provider: 'box', account: { id: '42', name: null, email: 'bob@example.test' } };
const linking: ProfileView = { ...notLinked, profile: 'new', provider: 'dropbox', pending: { ...pendingDropbox, profile: 'new' } };

function actions() {
  const calls: string[] = [];
  const a: TrayActions = {
    open: () => calls.push('open'),
    link: () => calls.push('link'),
    unlink: (p) => calls.push(`unlink:${p}`),
    show: (p) => calls.push(`show:${p}`),
    settings: () => calls.push('settings'),
    showLog: () => calls.push('log'),
    setStartAtLogin: (on) => calls.push(`autostart:${on}`),
    quit: () => calls.push('quit'),
  };
  return { a, calls };
}

const labels = (menu: MenuItemConstructorOptions[]) => menu.map((i) => (i.type === 'separator' ? '---' : i.label));
const item = (menu: MenuItemConstructorOptions[], label: string) => menu.find((i) => i.label === label)!;
const click = (i: MenuItemConstructorOptions, checked?: boolean) => (i.click as (item: { checked: boolean }) => void)({ checked: checked ?? false });

describe('tray menu', () => {
  it('no account: says so; Unlink is disabled', () => {
    const { a } = actions();
    const menu = trayMenuTemplate([], false, a);
    expect(labels(menu)).toEqual(['No account linked', '---', 'Link account…', 'Unlink…', 'Open authtray', 'Settings…', '---', 'Start at login', '---', 'Show log', 'Quit']);
    expect(item(menu, 'No account linked').enabled).toBe(false);
    expect(item(menu, 'Unlink…').enabled).toBe(false);
  });

  it('one linked account: its label, Unlink asks for that profile', () => {
    const { a, calls } = actions();
    const menu = trayMenuTemplate([alice], false, a);
    expect(labels(menu)[0]).toBe('Alice Example (dropbox)');
    expect(menu[0]!.enabled).toBe(false);
    click(item(menu, 'Unlink…'));
    click(item(menu, 'Link account…'));
    click(item(menu, 'Open authtray'));
    click(item(menu, 'Quit'));
    expect(calls).toEqual(['unlink:default', 'link', 'open', 'quit']);
  });

  it('several accounts: each listed, Unlink… is a submenu', () => {
    const { a, calls } = actions();
    const menu = trayMenuTemplate([alice, bob, linking], false, a);
    expect(labels(menu).slice(0, 3)).toEqual(['Alice Example (dropbox)', 'bob@example.test (box)', 'new (linking…)']);
    const submenu = item(menu, 'Unlink…').submenu as MenuItemConstructorOptions[];
    expect(submenu.map((i) => i.label)).toEqual(['Alice Example (dropbox)', 'bob@example.test (box)']);
    click(submenu[1]!);
    expect(calls).toEqual(['unlink:work']);
  });

  it('a link that needs the person is marked, and a click opens the window on it; a provider out of reach is said, not marked', () => {
    expect(profileLabel({ ...alice, needsRelink: true, health: 'needs-relink' })).toBe('⚠ Alice Example (needs relink)');
    expect(profileLabel({ ...alice, linked: false, error: { code: 'KEYRING_ACCESS', message: 'locked' }, health: 'keyring-locked' })).toBe('⚠ Alice Example (keyring locked)');
    expect(profileLabel({ ...alice, health: 'store-unreachable' })).toBe('⚠ Alice Example (store unreachable)');
    expect(profileLabel({ ...alice, health: 'provider-unreachable' })).toBe('Alice Example (provider unreachable)');
    expect(profileLabel({ ...alice, linked: false, error: { code: 'CANCELLED', message: 'x' }, health: null })).toBe('Alice Example (needs attention)');
    const { a, calls } = actions();
    const menu = trayMenuTemplate([{ ...alice, needsRelink: true, health: 'needs-relink' }, bob], false, a);
    expect(menu[1]!.enabled).toBe(false);
    click(menu[0]!);
    click(item(menu, 'Settings…'));
    click(item(menu, 'Show log'));
    expect(calls).toEqual(['show:default', 'settings', 'log']);
    expect(trayTooltip([{ ...alice, health: 'needs-relink' }, bob])).toBe('authtray: 1 account needs your attention');
  });

  it('Start at login shows what it is given (the OS setting) and asks to change it', () => {
    const { a, calls } = actions();
    expect(item(trayMenuTemplate([], true, a), 'Start at login')).toMatchObject({ type: 'checkbox', checked: true });
    const off = item(trayMenuTemplate([], false, a), 'Start at login');
    expect(off.checked).toBe(false);
    click(off, true);
    expect(calls).toEqual(['autostart:true']);
  });

  it('the tooltip counts linked accounts', () => {
    expect(trayTooltip([])).toBe('authtray: no account linked');
    expect(trayTooltip([alice])).toBe('authtray: 1 account linked');
    expect(trayTooltip([alice, bob, linking])).toBe('authtray: 2 accounts linked');
  });
});
