// @vitest-environment happy-dom
// Not linked: the link form, for each provider, with the plain-text warning (SECURITY #11).
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiError, LinkRequest } from '../../preload/api.js';
import { LinkForm } from '../../renderer/src/components/LinkForm.js';
import { FROM_SOURCE, KEYRING, PLAIN } from '../support/views.js';

afterEach(cleanup);

function form(props: Partial<Parameters<typeof LinkForm>[0]> = {}) {
  const requests: LinkRequest[] = [];
  const answers: (ApiError | null)[] = [];
  render(
    <LinkForm
      info={PLAIN}
      profile="default"
      onSubmit={async (r) => {
        requests.push(r);
        return answers.shift() ?? null;
      }}
      {...props}
    />,
  );
  return { requests, answers, user: userEvent.setup() };
}

describe('LinkForm', () => {
  it('offers Dropbox, Box and OpenID Connect; the sandbox only when run from source', () => {
    form();
    const options = screen.getAllByRole('option').map((o) => o.textContent);
    expect(options).toEqual(['Dropbox', 'Box', 'OpenID Connect']);
    cleanup();
    form({ info: FROM_SOURCE });
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['Sandbox (local test provider)', 'Dropbox', 'Box', 'OpenID Connect']);
  });

  it('renders the providers and what each asks for from the app info alone (main says the rules)', async () => {
    // A provider list main might send: the form shows these, in this order, with these fields.
    const box = PLAIN.providers.find((p) => p.choice === 'box')!;
    const oidc = PLAIN.providers.find((p) => p.choice === 'oidc')!;
    const providers = [
      { ...oidc, clientSecret: 'required' as const, clientIdLabel: 'Application id', clientIdHint: 'From your tenant.' },
      { ...box, clientSecret: 'none' as const },
    ];
    const { requests, user } = form({ info: { ...PLAIN, providers } });
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['OpenID Connect', 'Box']);
    expect((screen.getByLabelText('Client secret') as HTMLInputElement).required).toBe(true);
    expect(screen.getByLabelText('Application id').getAttribute('aria-describedby')).toBeTruthy();
    expect(screen.getByText('From your tenant.')).toBeTruthy();
    expect(screen.getByLabelText('Issuer URL')).toBeTruthy();
    await user.selectOptions(screen.getByLabelText('Provider'), 'box');
    expect(screen.queryByLabelText(/Client secret/)).toBeNull();
    expect(screen.queryByLabelText('Issuer URL')).toBeNull();
    await user.type(screen.getByLabelText('Client id'), 'box-client');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    expect(requests).toEqual([{ profile: 'default', provider: 'box', clientId: 'box-client', issuer: undefined, clientSecret: undefined }]);
  });

  it('Dropbox: the app key, no secret field; Link sends the request', async () => {
    const { requests, user } = form();
    expect(screen.queryByLabelText(/Client secret/)).toBeNull();
    await user.type(screen.getByLabelText('App key'), '  abc123  ');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    expect(requests).toEqual([{ profile: 'default', provider: 'dropbox', clientId: 'abc123', issuer: undefined, clientSecret: undefined }]);
  });

  it('Box: client id and a required secret', async () => {
    const { requests, user } = form();
    await user.selectOptions(screen.getByLabelText('Provider'), 'box');
    const secret = screen.getByLabelText('Client secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(secret.required).toBe(true);
    await user.type(screen.getByLabelText('Client id'), 'box-client');
    await user.type(secret, 's3cret');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    expect(requests[0]).toEqual({ profile: 'default', provider: 'box', clientId: 'box-client', issuer: undefined, clientSecret: 's3cret' });
  });

  it('OpenID Connect: the issuer URL and an optional secret', async () => {
    const { requests, user } = form();
    await user.selectOptions(screen.getByLabelText('Provider'), 'oidc');
    expect((screen.getByLabelText(/Client secret/) as HTMLInputElement).required).toBe(false);
    await user.type(screen.getByLabelText('Issuer URL'), 'https://idp.example');
    await user.type(screen.getByLabelText('Client id'), 'native-app');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    expect(requests[0]).toMatchObject({ provider: 'oidc', issuer: 'https://idp.example', clientId: 'native-app', clientSecret: undefined });
  });

  it('warns before linking when the credentials would be stored in plain text (SECURITY #11)', () => {
    form({ info: PLAIN });
    const warning = screen.getByRole('note', { name: 'Plain-text storage' });
    expect(warning.textContent).toMatch(/will be stored in plain text/);
    expect(warning.textContent).toContain('/home/a/.config/authtray/credentials');
    cleanup();
    form({ info: KEYRING });
    expect(screen.queryByRole('note', { name: 'Plain-text storage' })).toBeNull();
    cleanup();
    // Unknown now (a locked keyring): linking will fail and say why; it never falls back to plain text.
    form({ info: { ...KEYRING, newLinkStore: null } });
    expect(screen.queryByRole('note', { name: 'Plain-text storage' })).toBeNull();
  });

  it('another account asks for a profile name', async () => {
    const { requests, user } = form({ profile: null, suggestedProfile: 'account-2', info: FROM_SOURCE });
    const name = screen.getByLabelText('Profile name') as HTMLInputElement;
    expect(name.value).toBe('account-2');
    await user.clear(name);
    await user.type(name, 'work');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    expect(requests[0]).toMatchObject({ profile: 'work', provider: 'sandbox', clientId: undefined });
  });

  it('provider unreachable: the error with Retry, which sends the same request again', async () => {
    const { requests, answers, user } = form({ info: FROM_SOURCE });
    answers.push({ code: 'CONNECTION_FAILED', message: 'The provider at 127.0.0.1:7480 could not be reached. Check your connection and try again.' });
    await user.click(screen.getByRole('button', { name: 'Link' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/could not be reached/);
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(requests).toHaveLength(2);
    expect(requests[1]).toEqual(requests[0]);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('a mistake in the form is said next to it', async () => {
    const { answers, user } = form();
    answers.push({ code: 'USAGE', message: 'Enter the client id (Dropbox calls it the app key) from your app registration.' });
    await user.type(screen.getByLabelText('App key'), 'x');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Enter the client id/);
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('relink: only the secret, when the profile needs one', async () => {
    const { requests, user } = form({ profile: 'work', relink: { provider: 'box', needsClientSecret: true } });
    expect(screen.queryByLabelText('Provider')).toBeNull();
    expect(screen.getByRole('heading').textContent).toBe('Link work again');
    await user.type(screen.getByLabelText('Client secret'), 'new-secret');
    await user.click(screen.getByRole('button', { name: 'Link again' }));
    expect(requests).toEqual([{ profile: 'work', clientSecret: 'new-secret' }]);
  });

  it('every control has a label', () => {
    form({ profile: null, info: FROM_SOURCE });
    for (const control of document.querySelectorAll('input, select')) {
      expect(screen.getByLabelText((_t, el) => el === control), control.outerHTML).toBe(control);
    }
  });
});
