// @vitest-environment happy-dom
// The consent question where the system cannot say which program asks (macOS, Windows): the name
// the program gave, marked unverified; no "Always" for a program without a name; an answer that
// came too late says so. (Linux, verified, runs end to end in test/app/e2e-consent.test.ts.)
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsentAnswerRequest, ConsentQuestionView, Result, ConsentView } from '../../preload/api.js';
import { ConsentPrompt } from '../../renderer/src/components/ConsentPrompt.js';

afterEach(cleanup);

const question: ConsentQuestionView = {
  id: '3f0c1d9e-8d2b-4c5e-9a51-0d6c2f1e7a10',
  program: 'authtray token',
  verified: false,
  pid: null,
  parent: null,
  profile: 'work',
  account: null,
  requests: 1,
  canRemember: true,
  askedAt: '2026-12-02T18:00:00.000Z',
  expiresAt: '2026-12-02T18:02:00.000Z',
};

function prompt(q: ConsentQuestionView, answers: Result<ConsentView>[] = []) {
  const sent: ConsentAnswerRequest[] = [];
  const api = { answerConsent: async (r: ConsentAnswerRequest) => (sent.push(r), answers.shift() ?? { ok: true as const, value: { questions: [], decisions: [] } }) };
  render(<ConsentPrompt question={q} more={2} api={api} />);
  return { sent, user: userEvent.setup() };
}

describe('ConsentPrompt', () => {
  it('an unverified name is shown as such, with the profile when no account is known; the focus is on the question', async () => {
    const { sent, user } = prompt(question);
    const region = screen.getByRole('region', { name: 'A program asks for your account' });
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'A program asks for your account' }));
    expect(region.textContent).toContain('authtray token wants an access token of profile "work".');
    expect(screen.getByText('unverified')).toBeTruthy();
    expect(screen.getByText('Unverified: the program gave this name itself; the system could not say which program it is.')).toBeTruthy();
    expect(screen.getByText('2 more programs are waiting.')).toBeTruthy();
    expect(screen.queryByText('Process')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Always for this program' }));
    expect(sent).toEqual([{ id: question.id, answer: 'always' }]);
  });

  it('no "Always" for a program that gave no name; an answer that came too late says what happened', async () => {
    const late = { ok: false as const, error: { code: 'BAD_STATE' as const, message: 'That question is no longer waiting: it was answered, or nobody answered in time and the program was refused. The program asks again when it next needs a token.' } };
    const { sent, user } = prompt({ ...question, program: 'a program that did not give its name', canRemember: false }, [late]);
    expect(screen.queryByRole('button', { name: 'Always for this program' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Deny' }));
    expect(sent).toEqual([{ id: question.id, answer: 'deny' }]);
    expect(screen.getByRole('alert').textContent).toBe(late.error.message);
  });
});
