// SECURITY.md #11: when only the plain-text store is there, the person hears it before a secret is
// written (`future`), and keeps seeing it while the credentials are there.

export interface PlaintextWarningProps {
  backend: string;
  location: string;
  /** Before the link: the credentials "will be" stored there. */
  future?: boolean;
}

export function PlaintextWarning({ backend, location, future = false }: PlaintextWarningProps) {
  const file = backend === 'plaintext';
  return (
    <div className="notice warn" role="note" aria-label="Plain-text storage">
      <p className="notice-title">{future ? 'Credentials will be stored in plain text' : 'Stored in plain text'}</p>
      {future ? (
        <p>
          {file ? 'No system keyring is available, so the credentials will be kept in a file only your user can open: ' : 'The credentials will be kept unencrypted at '}
          <span className="path">{location}</span>. Anyone who can read {file ? 'your files' : 'it'} can use them.
        </p>
      ) : (
        <p>Anyone who can read {file ? 'your files' : 'that store'} can use these credentials. Unlink and link again once a system keyring is available to keep them safer.</p>
      )}
    </div>
  );
}
