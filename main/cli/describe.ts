/** How the command describes a profile: `status`, `profiles` and the line a finished link ends with. */
import type { ProfileStatus } from '../accounts.js';
import type { TokenKind } from '../model.js';
import { localTime } from './text.js';

/** What each kind of token means to the person (status --json keeps the kind). */
const TOKEN_WORDS: Record<TokenKind, string> = {
  offline: 'renews itself',
  jwt: 'renews itself (server auth)',
  online: 'does not renew itself: link again when it expires',
  developer: 'from the Box console: link again when it runs out (60 minutes)',
  legacy: 'does not expire',
};

/** A profile as the command says it: its problem in the command's words (text and --json alike). */
export function forCli({ cliProblem, ...status }: ProfileStatus): ProfileStatus {
  return cliProblem === undefined ? status : { ...status, problem: cliProblem };
}

/** A human summary of one profile. */
export function describe(s: ProfileStatus): string {
  if (s.problem) return `Profile "${s.profile}": damaged (${s.provider})\n  Problem: ${s.problem}`;
  if (!s.linked && !s.account) return `Profile "${s.profile}": not linked.`;
  const lines = [`Profile "${s.profile}": ${s.needsRelink ? 'needs relink' : s.linked ? 'linked' : 'credentials missing: link again'} (${s.provider})`];
  if (s.account) lines.push(`  Account: ${s.account.name ?? s.account.id}${s.account.email ? ` <${s.account.email}>` : ''} (id ${s.account.id})`);
  if (s.token) lines.push(`  Token:   ${TOKEN_WORDS[s.token.kind]}${s.token.expiresAt ? `; the access token ${Date.parse(s.token.expiresAt) > Date.now() ? 'expires' : 'expired'} at ${localTime(new Date(s.token.expiresAt))}` : ''}`);
  if (s.store) lines.push(`  Store:   ${s.store.backend} at ${s.store.location}${s.store.secure ? '' : ' (not encrypted: anyone who can read your files can read it)'}`);
  return lines.join('\n');
}

/** "Linked: ..." without saying "linked" twice. */
export function linkedLine(status: ProfileStatus): string {
  return `Linked: ${describe(status).replace(/^Profile "([^"]*)": linked /, 'profile "$1" ')}`;
}
