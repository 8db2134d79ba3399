// A program asks the app's agent for an account's token: which program (verified by the system, or
// only its own word), which account, and Allow once / Always for this program / Deny. The focus
// moves to the question when it appears; no button is chosen for the person.
import { useEffect, useId, useRef, useState } from 'react';
import type { ApiError, AuthtrayApi, ConsentAnswer, ConsentQuestionView } from '../../../preload/api.js';
import { formatTime } from '../format.js';

export interface ConsentPromptProps {
  question: ConsentQuestionView;
  /** Questions behind this one. */
  more: number;
  api: Pick<AuthtrayApi, 'answerConsent'>;
}

export function ConsentPrompt({ question, more, api }: ConsentPromptProps) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    headingRef.current?.focus();
    setError(null);
  }, [question.id]);

  async function answer(choice: ConsentAnswer) {
    if (busy) return;
    setBusy(true);
    const result = await api.answerConsent({ id: question.id, answer: choice });
    setBusy(false);
    // Answered: main's consent:changed takes the question away.
    if (!result.ok) setError(result.error);
  }

  const account = question.account ?? `profile "${question.profile}"`;
  return (
    <section className="card consent" aria-labelledby={`${id}-title`} aria-describedby={`${id}-what`} aria-busy={busy}>
      <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        A program asks for your account
      </h2>
      <p id={`${id}-what`}>
        <span className="mono">{question.program}</span> wants an access token of <strong>{account}</strong>.
      </p>
      <dl>
        <dt>Program</dt>
        <dd>
          <span className="mono">{question.program}</span>{' '}
          {question.verified ? <span className="badge good">checked by the system</span> : <span className="badge warn">unverified</span>}
        </dd>
        {question.pid !== null && (
          <>
            <dt>Process</dt>
            <dd>pid {question.pid}</dd>
          </>
        )}
        {question.parent && (
          <>
            <dt>Started by</dt>
            <dd className="mono">{question.parent}</dd>
          </>
        )}
        <dt>Account</dt>
        <dd>
          {account}
          {question.account && ` (profile "${question.profile}")`}
        </dd>
        {question.requests > 1 && (
          <>
            <dt>Requests</dt>
            <dd>{question.requests} waiting for this answer</dd>
          </>
        )}
      </dl>
      {!question.verified && <p className="hint">Unverified: the program gave this name itself; the system could not say which program it is.</p>}
      <p className="hint">If nobody answers by {formatTime(question.expiresAt)}, it gets no token.</p>
      {error && (
        // Its own words: the general advice is about links, and this is about a question.
        <div className="notice error" role="alert" data-code={error.code}>
          <p>{error.message}</p>
        </div>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={() => void answer('once')}>
          Allow once
        </button>
        {question.canRemember && (
          <button type="button" onClick={() => void answer('always')}>
            Always for this program
          </button>
        )}
        <button type="button" onClick={() => void answer('deny')}>
          Deny
        </button>
      </div>
      {more > 0 && <p className="hint">{more === 1 ? 'One more program is waiting.' : `${more} more programs are waiting.`}</p>}
    </section>
  );
}
