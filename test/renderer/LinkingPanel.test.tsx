// @vitest-environment happy-dom
// Linking: the URL with Open and Copy, the code box, the loopback wait with Cancel, and the errors.
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiError, PendingLinkView } from '../../preload/api.js';
import { LinkingPanel } from '../../renderer/src/components/LinkingPanel.js';
import { pendingDropbox, pendingLoopback } from '../support/views.js';

afterEach(cleanup);

function panel(pending: PendingLinkView, reported: ApiError | null = null) {
  const calls: string[] = [];
  const answers: (ApiError | null)[] = [];
  const answer = (name: string) => async (arg?: string) => {
    calls.push(arg === undefined ? name : `${name}:${arg}`);
    return answers.shift() ?? null;
  };
  render(
    <LinkingPanel
      pending={pending}
      error={reported}
      onOpen={answer('open')}
      onCopy={answer('copy')}
      onFinish={answer('finish')}
      onCancel={answer('cancel')}
      onStartAgain={() => void calls.push('startAgain')}
    />,
  );
  return { calls, answers, user: userEvent.setup() };
}

describe('LinkingPanel', () => {
  it('shows the address, opens and copies it, focus on Open', async () => {
    const { calls, user } = panel(pendingLoopback);
    expect((screen.getByLabelText('Authorization address') as HTMLInputElement).value).toBe(pendingLoopback.url);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Open in browser' }));
    await user.click(screen.getByRole('button', { name: 'Open in browser' }));
    await user.click(screen.getByRole('button', { name: 'Copy' }));
    expect(calls).toEqual(['open', 'copy']);
    expect(screen.getByText('Address copied.')).toBeTruthy();
  });

  it('loopback: a visible waiting state with Cancel, and the code box as a way out', async () => {
    const { calls, user } = panel(pendingLoopback);
    const waiting = screen.getAllByRole('status').find((s) => s.textContent?.includes('Waiting for your browser'));
    expect(waiting).toBeTruthy();
    expect(screen.getByLabelText('Code or address from the browser')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(calls).toEqual(['cancel']);
  });

  it('the listener has stopped (app restarted): says to paste the address instead', () => {
    panel({ ...pendingLoopback, waiting: false });
    expect(screen.queryByText(/Waiting for your browser/)).toBeNull();
    expect(screen.getByText(/no longer listening for the browser/)).toBeTruthy();
  });

  it('Dropbox paste flow: asks for the code the provider shows; Finish sends what was typed', async () => {
    const { calls, user } = panel(pendingDropbox);
    const box = screen.getByLabelText('Code from the provider');
    const finish = screen.getByRole('button', { name: 'Finish' }) as HTMLButtonElement;
    expect(finish.disabled).toBe(true);
    await user.type(box, 'sl.code-from-dropbox');
    await user.click(finish);
    expect(calls).toEqual(['finish:sl.code-from-dropbox']);
  });

  it('a malformed paste is said at the box, and the link stays open', async () => {
    const { answers, user } = panel(pendingLoopback);
    answers.push({ code: 'BAD_REQUEST', message: 'That does not look like an authorization code. Paste the code exactly as the provider shows it.' });
    await user.type(screen.getByLabelText('Code or address from the browser'), 'not a code!');
    await user.click(screen.getByRole('button', { name: 'Finish' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/does not look like an authorization code/);
    expect(screen.getByLabelText('Code or address from the browser').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByRole('button', { name: 'Start again' })).toBeNull();
  });

  it('code rejected: the next step is Start again', async () => {
    const { calls, answers, user } = panel(pendingLoopback);
    answers.push({ code: 'INVALID_TOKEN', message: 'The provider rejected the authorization code (invalid_grant). Start the link again and paste the new code.' });
    await user.type(screen.getByLabelText('Code or address from the browser'), 'old-code');
    await user.click(screen.getByRole('button', { name: 'Finish' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/The code was not accepted/);
    await user.click(screen.getByRole('button', { name: 'Start again' }));
    expect(calls).toEqual(['finish:old-code', 'startAgain']);
  });

  it('provider unreachable while finishing: Retry sends the same code again', async () => {
    const { calls, answers, user } = panel(pendingLoopback);
    answers.push({ code: 'CONNECTION_FAILED', message: 'The provider could not be reached.' });
    await user.type(screen.getByLabelText('Code or address from the browser'), 'the-code');
    await user.click(screen.getByRole('button', { name: 'Finish' }));
    await user.click(await screen.findByRole('button', { name: 'Retry' }));
    expect(calls).toEqual(['finish:the-code', 'finish:the-code']);
  });

  it('a failed browser redirect reported by main: Start again (nothing to retry from here)', async () => {
    const { calls, user } = panel({ ...pendingLoopback, waiting: false }, { code: 'NOT_APPROVED', message: 'The link was not approved at the provider.' });
    expect(screen.getByRole('alert').textContent).toMatch(/not approved/);
    await user.click(screen.getByRole('button', { name: 'Start again' }));
    expect(calls).toEqual(['startAgain']);
  });
});
